"""Views into Telegram: rows of ui buttons become an inline keyboard of packed actions."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from ui.view import Row


def inline_keyboard(rows: Sequence[Row]) -> InlineKeyboardMarkup | None:
    """None for no buttons (Telegram wants no empty keyboard)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.label, callback_data=b.action.pack()) for b in row]
            for row in rows
            if row
        ]
    )
