"""unit_of_work: a use case commits its own work, joins a caller's, and never strands a write."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.transaction import unit_of_work
from storage.models import Township


async def _townships(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        return int((await session.execute(select(func.count(Township.id)))).scalar_one())


async def test_alone_it_commits(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session, unit_of_work(session):
        session.add(Township(code="T1", name="one"))
    assert await _townships(sessionmaker) == 1


async def test_on_error_it_rolls_back(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session:
        with pytest.raises(RuntimeError):
            async with unit_of_work(session):
                session.add(Township(code="T1", name="one"))
                await session.flush()
                raise RuntimeError("refused")
    assert await _townships(sessionmaker) == 0


async def test_inside_a_callers_transaction_the_caller_decides(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        with pytest.raises(RuntimeError):
            async with session.begin():
                async with unit_of_work(session):
                    session.add(Township(code="T1", name="one"))
                raise RuntimeError("the caller fails after the inner unit")
    assert await _townships(sessionmaker) == 0


async def test_after_an_autobegun_read_the_write_is_still_committed(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        await session.execute(select(func.count(Township.id)))  # SQLAlchemy begins by itself
        assert session.in_transaction()
        async with unit_of_work(session):
            session.add(Township(code="T1", name="one"))
    assert await _townships(sessionmaker) == 1
