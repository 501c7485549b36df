"""One message acts on a household's ledger at a time.

A step that answers with a new message below (a refreshed ledger, the aid menu) takes the
buttons off the message that was pressed, and a typed answer takes them off the ledger that
asked it: an older card or picker cannot act on the ledger after a later change. Steps that
edit the pressed message in place need nothing.
"""

from __future__ import annotations

import contextlib

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message

from handlers.replies import show_below
from ui.view import View


async def retire(bot: Bot | None, chat_id: int, message_id: int) -> None:
    """The message's buttons go; one too old to edit (48 hours) keeps them, and its
    status buttons are refused as stale by the record token they carry."""
    if bot is None:
        return
    with contextlib.suppress(TelegramBadRequest):
        await bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message_id, reply_markup=None
        )


async def instead_below(query: CallbackQuery, view: View) -> None:
    """The view as a new message below the pressed one, which loses its buttons."""
    await show_below(query, view)
    if isinstance(query.message, Message):
        await retire(query.bot, query.message.chat.id, query.message.message_id)
