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
from handlers.replies import show
from services.reports.status import my_status, visit_from_status
from ui.actions import StatusVisit
from ui.views.status import after_visit_view, status_view


async def show_status(message: Message, ctx: Context) -> None:
    status = await my_status(ctx.session, ctx.actor, ctx.clock, ctx.rules, ctx.t.locale)
    await show(message, status_view(status, ctx.t))


async def status_visit(query: CallbackQuery, callback_data: StatusVisit, ctx: Context) -> None:
    """One tap logs a visit dated today; the list is redrawn without that household."""
    household_id = callback_data.household_id
    after = await visit_from_status(
        ctx.session, ctx.actor, household_id, ctx.clock, ctx.rules, ctx.t.locale
    )
    view = after_visit_view(after, ctx.t)
    if isinstance(query.message, Message):
        # A repeated tap renders the same message again; Telegram refuses such an edit.
        with contextlib.suppress(TelegramBadRequest):
            await query.message.edit_text(view.text, reply_markup=inline_keyboard(view.rows))
    await query.answer()


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="status")
    router.message.register(show_status, Command("mystatus"))
    router.callback_query.register(status_visit, on(StatusVisit))
    return router
