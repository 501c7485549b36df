"""Who is acting: the roster entry behind a messaging account."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.roles import Role
from domain.types import CadreId, UnitId
from services.transaction import unit_of_work
from storage.cadres import account_by_telegram_id


@dataclass(frozen=True)
class Actor:
    """A registered cadre, as every service sees the person making a request."""

    cadre_id: CadreId
    code: str
    name: str
    role: Role
    unit_id: UnitId
    locale: str | None


async def actor_for_account(session: AsyncSession, telegram_user_id: int) -> Actor | None:
    """Look the account up on the roster; a read in its own short transaction."""
    async with unit_of_work(session):
        cadre = await account_by_telegram_id(session, telegram_user_id)
    if cadre is None:
        return None
    return Actor(
        cadre_id=CadreId(cadre.id),
        code=cadre.code,
        name=cadre.name,
        role=Role(cadre.role),
        unit_id=UnitId(cadre.unit_id),
        locale=cadre.locale,
    )


class AccountCache:
    """Remembers who an account is for a short while, so each update skips a database read.

    Registration and language changes call `forget`; anything changed by another process
    (a roster import) is seen after at most `ttl_seconds`.
    """

    def __init__(self, ttl_seconds: float = 30.0, max_entries: int = 10_000) -> None:
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._entries: dict[int, tuple[float, Actor | None]] = {}

    async def lookup(self, session: AsyncSession, telegram_user_id: int) -> Actor | None:
        now = time.monotonic()
        cached = self._entries.get(telegram_user_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        actor = await actor_for_account(session, telegram_user_id)
        if len(self._entries) >= self._max_entries:
            self._entries.clear()
        self._entries[telegram_user_id] = (now, actor)
        return actor

    def forget(self, telegram_user_id: int) -> None:
        self._entries.pop(telegram_user_id, None)

    def forget_cadre(self, cadre_id: int) -> None:
        """Drop every cached account of this cadre (its language or role changed)."""
        stale = [key for key, (_, a) in self._entries.items() if a and a.cadre_id == cadre_id]
        for key in stale:
            del self._entries[key]
