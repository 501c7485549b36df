"""/mystatus: what I still owe, with one-tap buttons to settle each item."""

from __future__ import annotations

import contextlib

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from handlers.callbacks import on
from handlers.context import Context
from handlers.keyboards import inline_keyboard
from handlers.replies import show, show_below, toast
from services.reports.status import my_status, visit_from_status
from ui.actions import StatusVisit
from ui.view import View
from ui.views.status import status_view
from ui.views.visits import visit_outcome


async def show_status(message: Message, ctx: Context) -> None:
    status = await my_status(ctx.session, ctx.actor, ctx.clock, ctx.rules, ctx.t.locale)
    await show(message, status_view(status, ctx.t))


async def status_visit(query: CallbackQuery, callback_data: StatusVisit, ctx: Context) -> None:
    """One tap logs a visit dated today. The list may be long and the tap near its bottom, so
    the confirmation goes below, where the person looks, and the list above is redrawn without
    that household. A tap on a visit already logged (an older list) only says so, in a toast."""
    household_id = callback_data.household_id
    after = await visit_from_status(
        ctx.session, ctx.actor, household_id, ctx.clock, ctx.rules, ctx.t.locale
    )
    outcome = visit_outcome(after.visit, ctx.t)
    if not after.visit.record.created:
        await toast(query, outcome)
        return
    if isinstance(query.message, Message):
        view = status_view(after.status, ctx.t)
        # Another process may have redrawn it already; Telegram refuses an edit to the same.
        with contextlib.suppress(TelegramBadRequest):
            await query.message.edit_text(view.text, reply_markup=inline_keyboard(view.rows))
    await show_below(query, View(outcome))


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="status")
    router.message.register(show_status, Command("mystatus"))
    router.callback_query.register(status_visit, on(StatusVisit))
    return router
