"""The one place a rule's refusal becomes a reply (texts: ui.refusals)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

from domain.errors import DomainError
from ui.refusals import refusal_text

STALE_BUTTON = "stale_button"
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class RefusalMiddleware(BaseMiddleware):
    """One place turns a rule's refusal into a reply; nothing was written by then."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        except DomainError as error:
            text = refusal_text(error, data["t"])
            if isinstance(event, CallbackQuery):
                # A stale button (an old message) needs only a note where the person tapped.
                alert = error.reason != STALE_BUTTON
                shown = await event.answer(text[:200], show_alert=alert)
                if not shown and isinstance(event.message, Message):
                    # The handler had answered already (see bot.telegram): say it below.
                    await event.message.answer(text)
            elif isinstance(event, Message):
                await event.answer(text)
            return None
