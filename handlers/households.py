"""/households: my households, their last visit and this quarter's coverage."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.plan_rules import PlanRules
from services.actors import Actor
from services.visits import my_households
from ui.i18n import Translator
from ui.render import chunks
from ui.views.households import households_text


async def list_households(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    t: Translator,
) -> None:
    """Every household in as many messages as it takes."""
    mine = await my_households(session, actor, clock, plan_rules.tz)
    for part in chunks(households_text(mine, t)):
        await message.answer(part)


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="households")
    router.message.register(list_households, Command("households"))
    return router
