"""The Redis chat lock, on a real Redis with a short TTL: renewed while its handler runs, so
a holder longer than the TTL keeps the chat and a second one waits; renewal stops on
release, and never extends a lock whose token is no longer ours."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.chat_locks import LockBusy, RedisChatLocks

REDIS_URL = "redis://127.0.0.1:6379/0"
TTL = 0.6


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        await asyncio.wait_for(client.ping(), timeout=3)
    except Exception as error:  # noqa: BLE001 - no server: skipped, with the reason
        await client.aclose()
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {error!r}")
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    name = f"cadrebot-test-{secrets.token_hex(4)}"
    try:
        yield name
    finally:
        keys = [key async for key in redis.scan_iter(f"{name}:*")]
        if keys:
            await redis.delete(*keys)


async def test_a_holder_longer_than_the_ttl_keeps_the_chat_and_a_second_waits(
    redis: Redis, prefix: str
) -> None:
    locks = RedisChatLocks(REDIS_URL, ttl=TTL, wait=0.4, prefix=prefix)
    waiting = RedisChatLocks(REDIS_URL, ttl=TTL, wait=0.4, prefix=prefix)  # another replica
    key = f"{prefix}:chat-lock:42"
    order: list[str] = []
    try:
        held = asyncio.Event()

        async def long_handler() -> None:
            async with locks.hold(42):
                held.set()
                await asyncio.sleep(TTL * 4)  # four TTLs: without renewal it ran out at one
                order.append("first done")

        first = asyncio.create_task(long_handler())
        await held.wait()
        await asyncio.sleep(TTL * 1.5)  # past the TTL it was taken with
        assert await redis.exists(key) == 1
        assert 0 < await redis.pttl(key) <= TTL * 1000
        with pytest.raises(LockBusy):  # the other replica waits 0.4 s, then gives up
            async with waiting.hold(42):
                order.append("second inside while the first held it")

        # A patient second acquirer gets the chat once the first has finished, not before.
        patient_locks = RedisChatLocks(REDIS_URL, ttl=TTL, wait=TTL * 6, prefix=prefix)
        try:
            async with asyncio.timeout(TTL * 8):
                async with patient_locks.hold(42):
                    order.append("second")
        finally:
            await patient_locks.close()
        await first
        assert order == ["first done", "second"]
        assert await redis.exists(key) == 0  # released, not left to its TTL
    finally:
        await locks.close()
        await waiting.close()


async def test_renewal_stops_on_release_and_never_extends_a_lost_lock(
    redis: Redis, prefix: str
) -> None:
    locks = RedisChatLocks(REDIS_URL, ttl=TTL, wait=0.2, prefix=prefix)
    key = f"{prefix}:chat-lock:7:42"  # scoped: bot 7's chat 42
    try:
        async with locks.hold(42, 7):
            assert await redis.exists(key) == 1
            assert _renewals() == 1
        assert await redis.exists(key) == 0
        assert _renewals() == 0  # the renewing task ended with the release

        # Lost while held (the key expired and another took it): renewal leaves it alone.
        async with locks.hold(42, 7):
            await redis.set(key, b"another-token", px=int(TTL * 1000))
            await asyncio.sleep(TTL * 0.7)  # one renewal tick passed
            assert await redis.get(key) == b"another-token"
            assert await redis.pttl(key) < TTL * 1000 * 0.5
        assert await redis.get(key) == b"another-token"  # our release did not delete it
        assert _renewals() == 0
    finally:
        await locks.close()


def _renewals() -> int:
    """Renewing tasks still running in this loop."""
    return sum(
        1
        for task in asyncio.all_tasks()
        if not task.done() and task.get_coro().__qualname__.endswith("._renew")  # type: ignore[union-attr]
    )
