"""/deadlines: my unit's milestones near today, overdue ones flagged."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.deadlines import Deadline
from domain.plan_rules import PlanRules
from services.actors import Actor
from services.reports.deadlines import deadlines_for
from ui.i18n import Translator
from ui.render import chunks, esc

# Progress notes are shown cut to this many characters under their milestone.
PROGRESS_SHOWN = 120


async def show_deadlines(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    t: Translator,
) -> None:
    listing = await deadlines_for(session, actor, clock, plan_rules.tz, t.locale)
    header = (
        t("<b>Deadlines of {unit}</b>", unit=esc(listing.unit_name))
        if listing.unit_name
        else t("<b>Deadlines of all units</b>")
    )
    if not listing.items:
        await message.answer(header + "\n" + t("No milestones due in the coming months."))
        return
    lines = [header]
    for item in listing.items:
        lines.append(_line(item, t))
        if item.latest is not None:
            lines.append(_progress_line(item, t, county=listing.unit_name is None))
    for part in chunks("\n".join(lines)):
        await message.answer(part)


def _line(item: Deadline, t: Translator) -> str:
    if item.done:
        state = t("done")
    elif item.overdue:
        state = t("\u26a0\ufe0f overdue by {days} days", days=-item.days_left)
    elif item.days_left == 0:
        state = t("due today")
    else:
        state = t("in {days} days", days=item.days_left)
    campaign = t("campaign {n}", n=item.campaign_number)
    if item.units_concerned:
        state += "; " + t(
            "units done: {done}/{total}", done=item.units_done, total=item.units_concerned
        )
    return f"\u2022 {item.due_date.isoformat()} \u2014 {esc(item.title)} ({campaign}; {state})"


def _progress_line(item: Deadline, t: Translator, *, county: bool) -> str:
    """The latest report under its milestone; the county view names the reporting unit."""
    note = item.latest
    assert note is not None
    text = note.text if len(note.text) <= PROGRESS_SHOWN else note.text[:PROGRESS_SHOWN] + "\u2026"
    who = f"{esc(note.unit_name)} " if county else ""
    mark = " \u2713" if note.done else ""
    return (
        "   \u21b3 " + t("progress {month}: {text}", month=note.month, text=who + esc(text)) + mark
    )


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="deadlines")
    router.message.register(show_deadlines, Command("deadlines"))
    return router
