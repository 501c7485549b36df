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
from ui.render import chunks, esc


async def list_households(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    t: Translator,
) -> None:
    mine = await my_households(session, actor, clock, plan_rules.tz)
    if not mine.households:
        await message.answer(t("You have no paired households on the roster."))
        return
    lines = [
        t(
            "<b>My households</b> \u2014 {quarter}: {covered} of {total} visited",
            quarter=str(mine.quarter),
            covered=mine.covered_count,
            total=len(mine.households),
        )
    ]
    for household in mine.not_covered_first:
        mark = "\u2713" if household.visited_in_period else "\u25cb"
        last = household.last_visit.isoformat() if household.last_visit else t("never visited")
        lines.append(
            f"{mark} <code>{esc(household.code)}</code> {esc(household.head_name)} "
            f"({esc(household.village_name)}) \u2014 " + t("last visit: {date}", date=last)
        )
    lines.append(t("Log a visit: /visit"))
    for part in chunks("\n".join(lines)):
        await message.answer(part)


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="households")
    router.message.register(list_households, Command("households"))
    return router
