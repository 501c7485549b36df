"""Views into Telegram messages: sent anew, or edited into the message a button was on."""

from __future__ import annotations

import html
import re

from aiogram.types import CallbackQuery, Message

from handlers.keyboards import inline_keyboard
from ui.render import chunks
from ui.view import View

# Telegram shows at most 200 characters of a callback answer.
TOAST_LIMIT = 200
_TAG = re.compile(r"<[^>]+>")


async def show(message: Message, view: View) -> Message:
    """The view as a new message in the chat (several if long: the buttons go with the last,
    which is returned)."""
    parts = list(chunks(view.text))
    sent = message
    for index, part in enumerate(parts):
        rows = view.rows if index == len(parts) - 1 else ()
        sent = await message.answer(part, reply_markup=inline_keyboard(rows))
    return sent


async def show_below(query: CallbackQuery, view: View) -> None:
    """The view as a new message below the pressed button's; the button stops spinning."""
    if isinstance(query.message, Message):
        await show(query.message, view)
    await query.answer()


async def replace(query: CallbackQuery, view: View) -> None:
    """The pressed button's message becomes the view; the button stops spinning."""
    if isinstance(query.message, Message):
        await query.message.edit_text(view.text, reply_markup=inline_keyboard(view.rows))
    await query.answer()


async def toast(query: CallbackQuery, text: str) -> None:
    """A short note over the chat, where the person just tapped (a stale or repeated tap):
    no message is edited or sent. `text` is the HTML of a view; the toast shows it plain."""
    plain = html.unescape(_TAG.sub("", text))
    await query.answer(plain[:TOAST_LIMIT], show_alert=False)
