"""Read-only report commands: the arguments and the dependencies in, one view out.

/compliance, /deadlines and /schooling differ only in what they ask and how they render it;
the handler that gathers the dependencies and sends the (possibly long) view is this one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.plan_rules import PlanRules
from handlers.replies import show
from services.actors import Actor
from ui.i18n import Translator
from ui.view import View


@dataclass(frozen=True)
class Asked:
    """One report request: the words after the command, who asks, and the app's rules."""

    args: str
    session: AsyncSession
    actor: Actor
    clock: Clock
    rules: PlanRules
    t: Translator


Report = Callable[[Asked], Awaitable[View]]


def report_router(name: str, report: Report) -> Router:
    """A router answering `/name [args]` with `report`'s view, split if long."""

    async def answer_report(
        message: Message,
        command: CommandObject,
        session: AsyncSession,
        actor: Actor,
        clock: Clock,
        plan_rules: PlanRules,
        t: Translator,
    ) -> None:
        asked = Asked(command.args or "", session, actor, clock, plan_rules, t)
        await show(message, await report(asked))

    router = Router(name=name)
    router.message.register(answer_report, Command(name))
    return router
