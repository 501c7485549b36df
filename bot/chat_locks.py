"""One update of a chat at a time, across webhook replicas.

Redis (REDIS_URL set): a lock with a time to live, so a replica that dies holding it frees
it after `ttl`. PostgreSQL without Redis: a session advisory lock on a connection of a small
pool of its own (the server frees it when the connection drops). SQLite: one process, an
asyncio lock per chat. A lock not had within `wait` raises `LockBusy`: the webhook answers
503 and Telegram asks again later.

A deployment of counties (bot.county_app) serves several bots, and chat 42 of one bot is
not chat 42 of another: each bot's processor holds its chats under its own `scope` (the
bot's id, `ScopedChatLocks`). Without a scope the keys are those of one bot, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import make_engine

if TYPE_CHECKING:
    from redis.asyncio.lock import Lock

logger = logging.getLogger(__name__)

# Longer than any handler should take (Telegram stops waiting after about a minute); renewed
# every third of it while held, so it only bounds how long a dead replica's lock stays.
DEFAULT_TTL = 90.0
DEFAULT_WAIT = 30.0
# pg_advisory_lock takes one bigint: the chat id, in a key space of our own (class 0x4342).
_PG_LOCK_CLASS = 0x4342 << 48


class LockBusy(Exception):
    """The chat's lock was not had in time."""


class ChatLocks(Protocol):
    def hold(
        self, chat_id: int, scope: int | None = None
    ) -> contextlib.AbstractAsyncContextManager[None]: ...

    async def close(self) -> None: ...


class ScopedChatLocks:
    """One bot's view of locks shared by several bots (closed by their owner, not here)."""

    def __init__(self, locks: ChatLocks, scope: int) -> None:
        self.locks = locks
        self.scope = scope

    def hold(
        self, chat_id: int, scope: int | None = None
    ) -> contextlib.AbstractAsyncContextManager[None]:
        return self.locks.hold(chat_id, self.scope if scope is None else scope)

    async def close(self) -> None:
        """Nothing: the shared locks outlive each bot's view of them."""


class LocalChatLocks:
    """One process: an asyncio lock per chat, forgotten when nobody holds or waits for it."""

    def __init__(self, wait: float = DEFAULT_WAIT) -> None:
        self._wait = wait
        self._locks: dict[tuple[int | None, int], tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, chat_id: int, scope: int | None = None) -> AsyncIterator[None]:
        key = (scope, chat_id)
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            try:
                await asyncio.wait_for(lock.acquire(), self._wait)
            except TimeoutError:
                raise LockBusy(chat_id) from None
            try:
                yield
            finally:
                lock.release()
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def close(self) -> None:
        self._locks.clear()


class RedisChatLocks:
    """redis-py's lock (a token under a key with a TTL; released only by its holder), its
    TTL renewed while held, so a handler longer than the TTL keeps its chat."""

    def __init__(
        self,
        redis_url: str,
        *,
        ttl: float = DEFAULT_TTL,
        wait: float = DEFAULT_WAIT,
        prefix: str = "cadrebot",
    ) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(redis_url)
        self._prefix = prefix
        self._ttl = ttl
        self._wait = wait

    @contextlib.asynccontextmanager
    async def hold(self, chat_id: int, scope: int | None = None) -> AsyncIterator[None]:
        from redis.exceptions import LockError

        chat = chat_id if scope is None else f"{scope}:{chat_id}"
        lock = self._redis.lock(
            f"{self._prefix}:chat-lock:{chat}",
            timeout=self._ttl,
            blocking_timeout=self._wait,
            sleep=0.02,
        )
        if not await lock.acquire():
            raise LockBusy(chat_id)
        renewing = asyncio.create_task(self._renew(lock, chat_id))
        try:
            yield
        finally:
            renewing.cancel()
            try:
                await asyncio.wait([renewing])  # an outer cancellation still propagates
            finally:
                try:
                    await lock.release()
                except LockError:  # lost while held (Redis lost it): another may have it now
                    logger.warning("the lock of chat %s ran out while held", chat_id)

    async def _renew(self, lock: Lock, chat_id: int) -> None:
        """While the handler runs: every third of the TTL, back to a whole TTL, only while
        the token is still ours (redis-py's `reacquire`, a compare-and-expire Lua script).
        A replica that dies stops renewing, so its chats are free within the TTL."""
        from redis.exceptions import LockNotOwnedError, RedisError

        while True:
            await asyncio.sleep(self._ttl / 3)
            try:
                await lock.reacquire()
            except LockNotOwnedError:
                logger.warning("the lock of chat %s was lost while held; not renewed", chat_id)
                return
            except RedisError as error:  # Redis away for a moment: the next third tries again
                logger.warning("the lock of chat %s was not renewed: %r", chat_id, error)

    async def close(self) -> None:
        await self._redis.aclose()


class PostgresChatLocks:
    """pg_advisory_lock on a dedicated connection, unlocked when done (or dropped)."""

    def __init__(self, database_url: str, *, size: int = 10, wait: float = DEFAULT_WAIT) -> None:
        self._engine: AsyncEngine = make_engine(database_url, pool_size=size, max_overflow=0)
        self._wait = wait

    @contextlib.asynccontextmanager
    async def hold(self, chat_id: int, scope: int | None = None) -> AsyncIterator[None]:
        key = advisory_key(chat_id, scope)
        async with self._engine.connect() as connection:
            timeout_ms = int(self._wait * 1000)
            await connection.execute(text(f"SET lock_timeout = {timeout_ms}"))
            try:
                await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            except Exception as error:
                if "lock timeout" in str(error).lower() or "55P03" in str(error):
                    raise LockBusy(chat_id) from None
                raise
            await connection.commit()
            try:
                yield
            finally:
                try:
                    await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    await connection.commit()
                except BaseException:  # never back to the pool still locked: drop it
                    await connection.invalidate()
                    raise

    async def close(self) -> None:
        await self._engine.dispose()


def advisory_key(chat_id: int, scope: int | None = None) -> int:
    """The bigint of a chat's advisory lock. A bot's chat in a deployment of counties: a
    64-bit hash of (bot, chat); two chats sharing one only wait for each other."""
    if scope is None:
        return _PG_LOCK_CLASS ^ chat_id
    digest = hashlib.blake2b(f"{scope}:{chat_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def chat_locks(
    database_url: str,
    redis_url: str | None,
    *,
    ttl: float = DEFAULT_TTL,
    wait: float = DEFAULT_WAIT,
) -> ChatLocks:
    """Redis when configured; else PostgreSQL's advisory locks; else in this process only."""
    if redis_url:
        return RedisChatLocks(redis_url, ttl=ttl, wait=wait)
    if database_url.startswith("postgresql"):
        return PostgresChatLocks(database_url, wait=wait)
    return LocalChatLocks(wait=wait)
