"""/notice [YYYY-MM]: the supervisors' monthly notice as text, an Excel file and a chart."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from domain.periods import Month
from handlers.callbacks import on
from handlers.context import Context
from handlers.replies import show
from services.chat_exports import notice_files as notice_export
from services.reports.notice import MonthlyNotice, notice_for
from ui.actions import NoticeFiles
from ui.view import View
from ui.views.notice import period_labels, render_notice


async def send_notice_files(message: Message, notice: MonthlyNotice, ctx: Context) -> None:
    """The workbook and the chart (built, and recorded in the export audit, by the service)."""
    labels = period_labels(notice, ctx.t)
    files = await notice_export(ctx.session, ctx.actor, notice, ctx.t, labels, ctx.clock)
    await message.answer_document(BufferedInputFile(files.workbook, filename=files.workbook_name))
    await message.answer_photo(BufferedInputFile(files.chart, filename=files.chart_name))


async def _notice(month: Month | None, ctx: Context) -> MonthlyNotice:
    """The month's notice (by default this month so far); the service admits supervisors only."""
    return await notice_for(ctx.session, ctx.actor, month, ctx.clock, ctx.rules, ctx.t.locale)


async def notice_files(query: CallbackQuery, callback_data: NoticeFiles, ctx: Context) -> None:
    """The button under the scheduled notice: re-checked (supervisors only), then the files."""
    notice = await _notice(Month.parse(callback_data.month), ctx)
    await query.answer()
    if isinstance(query.message, Message):
        await send_notice_files(query.message, notice, ctx)


async def show_notice(message: Message, command: CommandObject, ctx: Context) -> None:
    """Text first (it arrives even on a poor signal), then the workbook and the chart."""
    notice = await _notice(Month.parse(command.args) if command.args else None, ctx)
    await show(message, View(render_notice(notice, ctx.t)))
    await send_notice_files(message, notice, ctx)


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="notice")
    router.message.register(show_notice, Command("notice"))
    router.callback_query.register(notice_files, on(NoticeFiles))
    return router
