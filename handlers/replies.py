"""Views into Telegram messages: sent anew, or edited into the message a button was on."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message

from handlers.keyboards import inline_keyboard
from ui.render import chunks
from ui.view import View


async def show(message: Message, view: View) -> None:
    """The view as a new message in the chat (several if long: the buttons go with the last)."""
    parts = list(chunks(view.text))
    for index, part in enumerate(parts):
        rows = view.rows if index == len(parts) - 1 else ()
        await message.answer(part, reply_markup=inline_keyboard(rows))


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
