"""Per-update context: one DB session, the acting cadre (if any), and their language; and the
guards every update passes: replies retried, no control characters, every callback query
answered once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message, TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.polling import note_reply_locale
from bot.telegram import guard_of, replying
from bot.update_context import REFUSED, note_outcome
from domain.errors import InputRefused
from domain.text import first_control_character
from services.actors import AccountCache
from ui.i18n import Catalogs
from ui.refusals import refusal_text

logger = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DbSessionMiddleware(BaseMiddleware):
    """Opens one AsyncSession per update; services own the transactions inside it.

    In a deployment of counties the update's county put its own session factory in
    `data["sessionmaker"]` (bot.county_app): that one wins, so no update reaches another
    county's tables."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession] | None = None) -> None:
        self._sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        sessionmaker = data.get("sessionmaker", self._sessionmaker)
        if sessionmaker is None:
            raise RuntimeError("no session factory for this update (no county resolved it)")
        async with sessionmaker() as session:
            data["session"] = session
            return await handler(event, data)


class ActorMiddleware(BaseMiddleware):
    """Looks the sender up on the roster (a read, never a write) and picks the language.

    The update's county (bot.county_app), if any, brings its own account cache and
    catalogues (its default language) in `data`; they win over the dispatcher's."""

    def __init__(self, catalogs: Catalogs, accounts: AccountCache) -> None:
        self._catalogs = catalogs
        self._accounts = accounts

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        session: AsyncSession = data["session"]
        accounts: AccountCache = data.get("accounts", self._accounts)
        catalogs: Catalogs = data.get("catalogs", self._catalogs)
        actor = await accounts.lookup(session, user.id) if user is not None else None
        locale = catalogs.locale_for(
            actor.locale if actor else None, user.language_code if user else None
        )
        data["actor"] = actor
        data["t"] = catalogs.translator(locale)
        note_reply_locale(locale)  # a failure notice, if any, follows the /lang choice
        return await handler(event, data)


class ReplyingMiddleware(BaseMiddleware):
    """Marks the calls made while this update is handled as replies (see bot.telegram)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        with replying():
            return await handler(event, data)


class ControlCharacterMiddleware(BaseMiddleware):
    """Text with NUL or another control character is refused before any handler runs."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Message):
            found = first_control_character(event.text) or first_control_character(event.caption)
        elif isinstance(event, CallbackQuery):
            found = first_control_character(event.data)
        else:
            found = None
        if found is None:
            return await handler(event, data)
        logger.info("refused a %s with control character %s", type(event).__name__, found)
        note_outcome(REFUSED)
        text = refusal_text(InputRefused("control_characters", char=found), data["t"])
        if isinstance(event, CallbackQuery):
            await event.answer(text[:200], show_alert=True)
        elif isinstance(event, Message):
            await event.answer(text)
        return None


class CallbackAnswerMiddleware(BaseMiddleware):
    """Every callback query is answered, once, even when its handler fails or forgot.

    A failure is answered without words and goes on to the poller, which tries the update
    again or tells the person whether anything was saved (bot.polling).
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        bot: Bot | None = data.get("bot")
        guard = guard_of(bot) if bot is not None and isinstance(event, CallbackQuery) else None
        if guard is None or not isinstance(event, CallbackQuery):
            return await handler(event, data)  # a bare Bot cannot tell what was answered
        try:
            return await handler(event, data)
        finally:
            if not guard.was_answered(event.id):
                try:
                    await event.answer()  # the button stops spinning
                except TelegramAPIError as error:
                    logger.warning("could not answer callback query %r: %r", event.id, error)
