"""/households: my households, their last visit and this quarter's coverage."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from handlers.context import Context
from services.visits import my_households
from ui.render import chunks
from ui.views.households import households_text


async def list_households(message: Message, ctx: Context) -> None:
    """Every household in as many messages as it takes."""
    mine = await my_households(ctx.session, ctx.actor, ctx.clock, ctx.tz)
    for part in chunks(households_text(mine, ctx.t)):
        await message.answer(part)


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="households")
    router.message.register(list_households, Command("households"))
    return router
