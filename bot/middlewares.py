"""Per-update context: one DB session, the acting cadre (if any), and their language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.actors import AccountCache
from ui.i18n import Catalogs

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DbSessionMiddleware(BaseMiddleware):
    """Opens one AsyncSession per update; services own the transactions inside it."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self._sessionmaker() as session:
            data["session"] = session
            return await handler(event, data)


class ActorMiddleware(BaseMiddleware):
    """Looks the sender up on the roster (a read, never a write) and picks the language."""

    def __init__(self, catalogs: Catalogs, accounts: AccountCache) -> None:
        self._catalogs = catalogs
        self._accounts = accounts

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        session: AsyncSession = data["session"]
        actor = await self._accounts.lookup(session, user.id) if user is not None else None
        locale = self._catalogs.locale_for(
            actor.locale if actor else None, user.language_code if user else None
        )
        data["actor"] = actor
        data["t"] = self._catalogs.translator(locale)
        return await handler(event, data)
