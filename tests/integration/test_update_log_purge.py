"""The webhook's update log is purged past its retention once at start and then at every
turn while a replica serves (bot.update_log), on SQLite and PostgreSQL; time is moved, not
waited for."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.update_log import UpdateLogPurge
from domain.clock import FixedClock
from domain.retention import Retention
from storage.models import ProcessedUpdate

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


async def _add(sessionmaker: async_sessionmaker[AsyncSession], ages: dict[int, float]) -> None:
    async with sessionmaker() as session, session.begin():
        for update_id, days in ages.items():
            claimed = NOW - timedelta(days=days)
            session.add(
                ProcessedUpdate(
                    update_id=update_id,
                    chat_id=42,
                    outcome="done",
                    attempts=1,
                    claimed_at=claimed,
                    handled_at=claimed,
                )
            )


async def _ids(sessionmaker: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessionmaker() as session:
        return sorted((await session.execute(select(ProcessedUpdate.update_id))).scalars())


async def _until(sessionmaker: async_sessionmaker[AsyncSession], expected: list[int]) -> None:
    """The purging task runs on its own: look until it has done its turn (bounded)."""
    async with asyncio.timeout(10):
        while await _ids(sessionmaker) != expected:
            await asyncio.sleep(0.02)


async def test_purged_at_start_and_at_every_turn_with_the_retention(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await _add(sessionmaker, {1: 10, 2: 3.5, 3: 2.5, 4: 0.1})
    clock = FixedClock(NOW)
    purge = UpdateLogPurge([sessionmaker], Retention(None, 3), every=0.05, now=clock.now)
    assert await purge.once() == 2  # 10 and 3.5 days: past the 3 days kept
    assert await _ids(sessionmaker) == [3, 4]

    stop = asyncio.Event()
    purging = asyncio.create_task(purge.run_until(stop))
    clock.set(NOW + timedelta(days=1))  # update 3 is now 3.5 days old
    await _until(sessionmaker, [4])
    clock.set(NOW + timedelta(days=3, hours=12))  # and update 4 3.4 days old
    await _until(sessionmaker, [])
    stop.set()
    await asyncio.wait_for(purging, timeout=2)  # it ends with the replica


async def test_a_failed_turn_waits_for_the_next(
    sessionmaker: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    await _add(sessionmaker, {1: 10})
    clock = FixedClock(NOW)

    class Broken:  # the database away for one turn, then back
        def __init__(self) -> None:
            self.calls = 0

        def __call__(self) -> AsyncSession:
            self.calls += 1
            if self.calls == 1:
                raise ConnectionError("the database went away")
            return sessionmaker()

    broken = Broken()
    purge = UpdateLogPurge([broken], Retention(None, 3), every=0.05, now=clock.now)  # type: ignore[list-item]
    stop = asyncio.Event()
    purging = asyncio.create_task(purge.run_until(stop))
    await _until(sessionmaker, [])
    stop.set()
    await asyncio.wait_for(purging, timeout=2)
    assert "processed updates not purged" in caplog.text
