"""/notice [YYYY-MM]: the supervisors' monthly notice as text, an Excel file and a chart."""

from __future__ import annotations

import asyncio

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.periods import Month
from domain.plan_rules import PlanRules
from handlers.callbacks import on
from handlers.replies import show
from services.actors import Actor
from services.files.notice import notice_chart, notice_workbook
from services.reports.notice import MonthlyNotice, notice_for
from ui.actions import NoticeFiles
from ui.i18n import Translator
from ui.view import View
from ui.views.notice import render_notice


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


async def notice_files(
    query: CallbackQuery,
    callback_data: NoticeFiles,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    t: Translator,
) -> None:
    """The button under the scheduled notice: re-checked (supervisors only), then the files."""
    month = Month.parse(callback_data.month)
    notice = await notice_for(session, actor, month, clock, plan_rules, t.locale)
    await query.answer()
    if isinstance(query.message, Message):
        await send_notice_files(query.message, notice, t)


async def show_notice(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    t: Translator,
) -> None:
    """Text first (it arrives even on a poor signal), then the workbook and the chart."""
    month = Month.parse(command.args) if command.args else None
    notice = await notice_for(session, actor, month, clock, plan_rules, t.locale)
    await show(message, View(render_notice(notice, t)))
    await send_notice_files(message, notice, t)


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="notice")
    router.message.register(show_notice, Command("notice"))
    router.callback_query.register(notice_files, on(NoticeFiles))
    return router
