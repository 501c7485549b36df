"""A use case's transaction: its own, unless the calling service already opened one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession


@asynccontextmanager
async def unit_of_work(session: AsyncSession) -> AsyncIterator[None]:
    """Begin (and commit, or roll back on error) unless a transaction is already open."""
    if session.in_transaction():
        yield
        return
    async with session.begin():
        yield
