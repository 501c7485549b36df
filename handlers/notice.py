"""/notice [YYYY-MM]: the supervisors' monthly notice as text, an Excel file and a chart."""

from __future__ import annotations

import asyncio

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from domain.clock import Clock
from domain.coverage import Coverage
from domain.notice import RankedUnit
from domain.periods import Month
from handlers.render import chunks, esc
from services.actors import Actor
from services.notice import MonthlyNotice, notice_for
from services.notice_files import notice_chart, notice_workbook
from services.visits import VisitRules


class NoticeFiles(CallbackData, prefix="ntf"):
    """Send the workbook and chart of this month's notice (re-checked: supervisors only)."""

    month: str


# The text shows the head and the tail of the ranking; the workbook has every unit.
SHOWN_AT_EACH_END = 5
OVERDUE_SHOWN = 10
UNITS_NAMED = 3


def _figure(coverage: Coverage) -> str:
    return f"{coverage.covered}/{coverage.assigned} ({coverage.percent})"


def _ranked_line(ranked: RankedUnit, t: Translator) -> str:
    standing = ranked.standing
    village = f"{standing.villages.covered}/{standing.villages.assigned}"
    return t(
        "{rank}. {unit}: households {households}, village {village}, ledgers {ledgers}, "
        "overdue {overdue}",
        rank=ranked.rank,
        unit=esc(standing.unit_name),
        households=standing.households.percent,
        village=village,
        ledgers=standing.ledgers.percent,
        overdue=standing.overdue_milestones,
    )


def _units(names: tuple[str, ...], t: Translator) -> str:
    shown = "、".join(names[:UNITS_NAMED])
    if len(names) > UNITS_NAMED:
        return t("{names} and {count} more", names=shown, count=len(names) - UNITS_NAMED)
    return shown


def render_notice(notice: MonthlyNotice, t: Translator) -> str:
    lines = [
        t(
            "<b>Monthly notice {month}</b> (as of {date})",
            month=str(notice.month),
            date=notice.as_of.isoformat(),
        ),
        t(
            "Households visited in {quarter}: {figure}",
            quarter=str(notice.quarter),
            figure=_figure(notice.households),
        ),
    ]
    if notice.villages.assigned:  # a county without unit-village pairings skips the line
        lines.append(
            t("Units at their village this month: {figure}", figure=_figure(notice.villages))
        )
    lines += [
        t(
            "Ledgers complete for {year}: {figure}",
            year=notice.ledger_year,
            figure=_figure(notice.ledgers),
        ),
        "",
        t("<b>Ranking</b>"),
    ]
    ranking = notice.ranking
    if len(ranking) <= 2 * SHOWN_AT_EACH_END:
        lines += [_ranked_line(r, t) for r in ranking]
    else:
        lines += [_ranked_line(r, t) for r in ranking[:SHOWN_AT_EACH_END]]
        lines.append("…")
        lines += [_ranked_line(r, t) for r in ranking[-SHOWN_AT_EACH_END:]]
    lines += ["", t("<b>Overdue milestones</b>: {count}", count=len(notice.overdue))]
    for overdue in notice.overdue[:OVERDUE_SHOWN]:
        lines.append(
            t(
                "{date} {title}: {days} days overdue; not done: {units}",
                date=overdue.due_date.isoformat(),
                title=esc(overdue.title),
                days=overdue.days_overdue,
                units=esc(_units(overdue.units_not_done, t)),
            )
        )
    if len(notice.overdue) > OVERDUE_SHOWN:
        lines.append(
            t("… and {count} more in the workbook", count=len(notice.overdue) - OVERDUE_SHOWN)
        )
    if notice.dropout_cases:
        lines += ["", t("<b>Dropout cases</b>")]
        lines += [f"{esc(t(label))}: {count}" for label, count in notice.dropout_cases.items()]
    return "\n".join(lines)


async def send_notice_files(message: Message, notice: MonthlyNotice, t: Translator) -> None:
    """The workbook and the chart, built in threads (CPU work off the event loop)."""
    workbook, chart = await asyncio.gather(
        asyncio.to_thread(notice_workbook, notice, t),
        asyncio.to_thread(notice_chart, notice, t),
    )
    await message.answer_document(
        BufferedInputFile(workbook, filename=f"notice-{notice.month}.xlsx")
    )
    await message.answer_photo(BufferedInputFile(chart, filename=f"notice-{notice.month}.png"))


async def send_notice(message: Message, notice: MonthlyNotice, t: Translator) -> None:
    """Text first (it arrives even on a poor signal), then the workbook and the chart."""
    for part in chunks(render_notice(notice, t)):
        await message.answer(part)
    await send_notice_files(message, notice, t)


def files_button(month: str, t: Translator) -> InlineKeyboardMarkup:
    """On the scheduled notice: the files come on request, not with every push."""
    builder = InlineKeyboardBuilder()
    builder.button(text=t("\U0001f4ca Workbook and chart"), callback_data=NoticeFiles(month=month))
    return builder.as_markup()


async def notice_files(
    query: CallbackQuery,
    callback_data: NoticeFiles,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    visit_rules: VisitRules,
    ledger_season_opens: tuple[int, int],
    t: Translator,
) -> None:
    month = Month.parse(callback_data.month)
    notice = await notice_for(
        session, actor, month, clock, visit_rules.tz, ledger_season_opens, t.locale
    )
    await query.answer()
    if isinstance(query.message, Message):
        await send_notice_files(query.message, notice, t)


async def show_notice(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    visit_rules: VisitRules,
    ledger_season_opens: tuple[int, int],
    t: Translator,
) -> None:
    month = Month.parse(command.args) if command.args else None
    notice = await notice_for(
        session, actor, month, clock, visit_rules.tz, ledger_season_opens, t.locale
    )
    await send_notice(message, notice, t)


def build_router() -> Router:
    router = Router(name="notice")
    router.message.register(show_notice, Command("notice"))
    router.callback_query.register(notice_files, NoticeFiles.filter())
    return router
