"""/mystatus: what I still owe, with one-tap buttons to settle each item."""

from __future__ import annotations

import contextlib

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.deadlines import Deadline
from domain.plan_rules import PlanRules
from domain.status import (
    MAX_HOUSEHOLDS_SHOWN,
    MAX_LEDGERS_SHOWN,
    MAX_MILESTONES_SHOWN,
    MILESTONE_WINDOW,
    MyStatus,
)
from handlers.callbacks import on
from handlers.ledger import missing_text
from services.actors import Actor
from services.reports.status import my_status, visit_from_status
from services.visits import VisitOutcome
from ui.actions import LedgerOpen, PickVillage, StatusVisit
from ui.i18n import Translator
from ui.render import MESSAGE_LIMIT, esc

MAX_LEDGER_BUTTONS = 5


async def show_status(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    ledger_season_opens: tuple[int, int],
    t: Translator,
) -> None:
    status = await my_status(session, actor, clock, plan_rules, t.locale, ledger_season_opens)
    await message.answer(_status_text(status, t), reply_markup=_keyboard(status, t))


async def status_visit(
    query: CallbackQuery,
    callback_data: StatusVisit,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    ledger_season_opens: tuple[int, int],
    t: Translator,
) -> None:
    after = await visit_from_status(
        session,
        actor,
        callback_data.household_id,
        clock,
        plan_rules,
        t.locale,
        ledger_season_opens,
    )
    if isinstance(query.message, Message):
        text = _visit_line(after.visit, t) + "\n\n" + _status_text(after.status, t)
        # A repeated tap renders the same message again; Telegram refuses such an edit.
        with contextlib.suppress(TelegramBadRequest):
            await query.message.edit_text(
                _fit(text.split("\n")), reply_markup=_keyboard(after.status, t)
            )
    await query.answer()


def _visit_line(outcome: VisitOutcome, t: Translator) -> str:
    if outcome.created:
        return t(
            "\u2705 Visit logged: {code} {head} on {date}.",
            code=esc(outcome.household_code),
            head=esc(outcome.head_name),
            date=outcome.visit_date.isoformat(),
        )
    return t(
        "This visit was already logged: {code} {head} on {date}. Nothing changed.",
        code=esc(outcome.household_code),
        head=esc(outcome.head_name),
        date=outcome.visit_date.isoformat(),
    )


def _status_text(status: MyStatus, t: Translator) -> str:
    lines = [t("<b>What I still owe</b> \u2014 {date}", date=status.today.isoformat())]
    lines += _household_lines(status, t)
    lines += _village_lines(status, t)
    lines += _ledger_lines(status, t)
    lines += _milestone_lines(status, t)
    if status.owes_nothing:
        lines.append("")
        lines.append(t("Nothing owed today. Well done!"))
    return _fit(lines)


def _household_lines(status: MyStatus, t: Translator) -> list[str]:
    if not status.households_total:
        return []
    lines = [
        "",
        t(
            "<b>Households not visited in {quarter}</b>: {owed} of {total}",
            quarter=str(status.quarter),
            owed=len(status.households),
            total=status.households_total,
        ),
    ]
    if not status.households:
        lines.append("\u2713 " + t("Every household of yours is visited this quarter."))
    for household in status.households[:MAX_HOUSEHOLDS_SHOWN]:
        last = (
            t("last visit: {date}", date=household.last_visit.isoformat())
            if household.last_visit
            else t("never visited")
        )
        lines.append(
            f"\u25cb <code>{esc(household.code)}</code> {esc(household.head_name)} "
            f"({esc(household.village_name)}) \u2014 {last}"
        )
    hidden = len(status.households) - MAX_HOUSEHOLDS_SHOWN
    if hidden > 0:
        lines.append(t("\u2026 and {count} more: /visit", count=hidden))
    return lines


def _village_lines(status: MyStatus, t: Translator) -> list[str]:
    if not status.villages:
        return []
    lines = ["", t("<b>Village visit {month}</b>", month=str(status.month))]
    for village in status.villages:
        state = t("covered") if village.covered else t("not visited yet this month")
        mark = "\u2713" if village.covered else "\u25cb"
        lines.append(f"{mark} {esc(village.name)} ({esc(village.code)}) \u2014 {state}")
    return lines


def _ledger_lines(status: MyStatus, t: Translator) -> list[str]:
    season = status.ledger_season
    if season is None or not status.ledgers:
        return []
    days = season.days_left(status.today)
    when = (
        t("{days} days left", days=days)
        if days >= 0
        else t("\u26a0\ufe0f overdue by {days} days", days=-days)
    )
    lines = [
        "",
        t(
            "<b>Ledgers {year} to complete by {deadline}</b> ({when})",
            year=season.year,
            deadline=season.deadline.isoformat(),
            when=when,
        ),
    ]
    for ledger in status.ledgers[:MAX_LEDGERS_SHOWN]:
        missing = missing_text(ledger.missing, t)
        lines.append(
            f"\u25cb <code>{esc(ledger.code)}</code> {esc(ledger.head_name)} \u2014 "
            + t("missing: {fields}", fields=missing)
        )
    hidden = len(status.ledgers) - MAX_LEDGERS_SHOWN
    if hidden > 0:
        lines.append(t("\u2026 and {count} more: /ledger", count=hidden))
    return lines


def _milestone_lines(status: MyStatus, t: Translator) -> list[str]:
    if not status.milestones:
        return []
    lines = [
        "",
        t(
            "<b>My unit's milestones due within {days} days</b>",
            days=MILESTONE_WINDOW.days,
        ),
    ]
    for item in status.milestones[:MAX_MILESTONES_SHOWN]:
        lines.append(f"\u2022 {item.due_date.isoformat()} {esc(item.title)} ({_when(item, t)})")
    return lines


def _when(item: Deadline, t: Translator) -> str:
    if item.overdue:
        return t("\u26a0\ufe0f overdue by {days} days", days=-item.days_left)
    if item.days_left == 0:
        return t("due today")
    return t("in {days} days", days=item.days_left)


def _fit(lines: list[str]) -> str:
    """One message, so it can be edited in place: drop trailing lines past the limit."""
    text = "\n".join(lines)
    while len(text) > MESSAGE_LIMIT and len(lines) > 1:
        lines = lines[:-2] + ["\u2026"]
        text = "\n".join(lines)
    return text


def _keyboard(status: MyStatus, t: Translator) -> InlineKeyboardMarkup | None:
    builder = InlineKeyboardBuilder()
    for household in status.households[:MAX_HOUSEHOLDS_SHOWN]:
        builder.button(
            text=t(
                "\u2705 Visited {code} {head} today",
                code=household.code,
                head=household.head_name,
            )[:60],
            callback_data=StatusVisit(household_id=household.household_id).pack(),
        )
    for village in status.villages:
        if not village.covered:
            builder.button(
                text=t("\U0001f3d8 Log the village visit: {village}", village=village.name)[:60],
                callback_data=PickVillage(village_id=village.village_id).pack(),
            )
    for ledger in status.ledgers[:MAX_LEDGER_BUTTONS]:
        builder.button(
            text=t("\U0001f4d2 Ledger {code} {head}", code=ledger.code, head=ledger.head_name)[:60],
            callback_data=LedgerOpen(household_id=ledger.household_id).pack(),
        )
    builder.adjust(1)
    markup = builder.as_markup()
    return markup if markup.inline_keyboard else None


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="status")
    router.message.register(show_status, Command("mystatus"))
    router.callback_query.register(status_visit, on(StatusVisit))
    return router
