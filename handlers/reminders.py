"""/reminders: what I will be reminded of and when, and what I owe today."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import ChatMemberUpdated, Message
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.plan_rules import PlanRules
from domain.reminders import (
    DROPOUT_OVERDUE,
    HOUSEHOLD_VISIT,
    LEDGER_DEADLINE,
    MILESTONE,
    MONTHLY_NOTICE,
    PROGRESS_REQUEST,
    VILLAGE_VISIT,
    QuietHours,
)
from services.actors import Actor
from services.reachability import chat_member_changed
from services.reports.reminder_overview import ReminderLine, reminder_overview
from ui.i18n import N_, Translator

WHAT = {
    VILLAGE_VISIT: N_("Your unit's monthly village visit, if not yet logged"),
    HOUSEHOLD_VISIT: N_("Households not yet visited this quarter"),
    LEDGER_DEADLINE: N_("Ledgers not complete before the November deadline"),
    MILESTONE: N_("Your unit's milestones not done yet, near their due dates"),
    PROGRESS_REQUEST: N_("Monthly progress report of your unit (last working day)"),
    MONTHLY_NOTICE: N_("The monthly notice of the month just ended"),
    DROPOUT_OVERDUE: N_(
        "Dropout cases past a due time: the school every morning, supervisors when {days} days late"
    ),
}
OWED = {
    VILLAGE_VISIT: N_("villages not yet visited this month: {count}"),
    HOUSEHOLD_VISIT: N_("not yet visited now: {count}"),
    LEDGER_DEADLINE: N_("incomplete now: {count}"),
}


def _line(line: ReminderLine, t: Translator) -> str:
    text = "\u2022 " + t(WHAT[line.rule], days=line.escalate_after_days)
    at = f"{line.hour:02d}:{line.minute:02d}"
    if line.next_days:
        days = ", ".join(day.isoformat() for day in line.next_days)
        text += "\n  " + t("next: {days} at {time}", days=days, time=at)
    elif line.rule in (MILESTONE, DROPOUT_OVERDUE):
        before = ", ".join(str(d) for d in line.days_left if d > 0) or "-"
        if line.rule == DROPOUT_OVERDUE:
            return text + "\n  " + t("at {time}", time=at)
        after = ", ".join(str(-d) for d in line.days_left if d < 0) or "-"
        text += "\n  " + t(
            "days before the due date: {before}; days after: {after}; at {time}",
            before=before,
            after=after,
            time=at,
        )
    if line.owed_now is not None and line.rule in OWED:
        text += "\n  " + t(OWED[line.rule], count=line.owed_now)
    return text


async def show_reminders(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    quiet_hours: QuietHours | None,
    t: Translator,
) -> None:
    lines = await reminder_overview(
        session, actor, clock, plan_rules.tz, plan_rules.ledger_season_opens
    )
    if not lines:
        await message.answer(t("No reminders are set up for you."))
        return
    parts = [t("<b>My reminders</b> (sent only while something is still owed)")]
    parts += [_line(line, t) for line in lines]
    if quiet_hours is not None:
        hours = f"{quiet_hours.start:%H:%M}-{quiet_hours.end:%H:%M}"
        parts.append(t("Quiet hours {hours}: reminders wait until they end.", hours=hours))
    await message.answer("\n".join(parts))


async def chat_member(event: ChatMemberUpdated, session: AsyncSession, clock: Clock) -> None:
    """Telegram tells us when a person blocks or unblocks the bot."""
    await chat_member_changed(session, event.from_user.id, event.new_chat_member.status, clock)


def build_router() -> Router:
    router = Router(name="reminders")
    router.message.register(show_reminders, Command("reminders"))
    router.my_chat_member.register(chat_member, F.chat.type == "private")
    return router
