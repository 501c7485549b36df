"""/notice [YYYY-MM]: the supervisors' monthly notice as text, an Excel file and a chart."""

from __future__ import annotations

import asyncio

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from domain.periods import Month
from handlers.callbacks import on
from handlers.context import Context
from handlers.replies import show
from services.files.notice import notice_chart, notice_workbook
from services.reports.notice import MonthlyNotice, notice_for
from ui.actions import NoticeFiles
from ui.i18n import Translator
from ui.view import View
from ui.views.notice import period_labels, render_notice


async def send_notice_files(message: Message, notice: MonthlyNotice, t: Translator) -> None:
    """The workbook and the chart, built in threads (CPU work off the event loop)."""
    workbook, chart = await asyncio.gather(
        asyncio.to_thread(notice_workbook, notice, t, period_labels(notice, t)),
        asyncio.to_thread(notice_chart, notice, t, period_labels(notice, t)),
    )
    await message.answer_document(
        BufferedInputFile(workbook, filename=f"notice-{notice.month}.xlsx")
    )
    await message.answer_photo(BufferedInputFile(chart, filename=f"notice-{notice.month}.png"))


async def _notice(month: Month | None, ctx: Context) -> MonthlyNotice:
    """The month's notice (by default this month so far); the service admits supervisors only."""
    return await notice_for(ctx.session, ctx.actor, month, ctx.clock, ctx.rules, ctx.t.locale)


async def notice_files(query: CallbackQuery, callback_data: NoticeFiles, ctx: Context) -> None:
    """The button under the scheduled notice: re-checked (supervisors only), then the files."""
    notice = await _notice(Month.parse(callback_data.month), ctx)
    await query.answer()
    if isinstance(query.message, Message):
        await send_notice_files(query.message, notice, ctx.t)


async def show_notice(message: Message, command: CommandObject, ctx: Context) -> None:
    """Text first (it arrives even on a poor signal), then the workbook and the chart."""
    notice = await _notice(Month.parse(command.args) if command.args else None, ctx)
    await show(message, View(render_notice(notice, ctx.t)))
    await send_notice_files(message, notice, ctx.t)


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="notice")
    router.message.register(show_notice, Command("notice"))
    router.callback_query.register(notice_files, on(NoticeFiles))
    return router
