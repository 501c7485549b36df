"""A use case's transaction: its own, unless the calling service already opened one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import SessionTransactionOrigin


@asynccontextmanager
async def unit_of_work(session: AsyncSession) -> AsyncIterator[None]:
    """Begin, and commit (or roll back on error), unless a caller's `begin()` is open.

    A transaction that SQLAlchemy began by itself for an earlier read is nobody's: it is
    committed here too, so a write can never wait silently for a commit that never comes.
    """
    current = session.sync_session.get_transaction()
    if current is None:
        async with session.begin():
            yield
        return
    if current.origin is not SessionTransactionOrigin.AUTOBEGIN:
        yield  # the caller's transaction: it commits
        return
    try:
        yield
    except BaseException:
        await session.rollback()
        raise
    await session.commit()
