"""Read-only report commands: the arguments and the context in, one view out.

/compliance, /deadlines and /schooling differ only in what they ask and how they render it;
the handler that sends the (possibly long) view is this one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.context import Context
from handlers.replies import show
from ui.view import View

# A report from the words after the command and who asks.
Report = Callable[[str, Context], Awaitable[View]]


def report_router(name: str, report: Report) -> Router:
    """A router answering `/name [args]` with `report`'s view, split if long."""

    async def answer_report(message: Message, command: CommandObject, ctx: Context) -> None:
        await show(message, await report(command.args or "", ctx))

    router = Router(name=name)
    router.message.register(answer_report, Command(name))
    return router
