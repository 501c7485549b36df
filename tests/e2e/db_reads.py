"""Reading the database in end-to-end tests: rows of a table, a member, the outbox settling."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select

from storage.models import Member, OutboxMessage
from tests.e2e.conftest import Harness


async def rows_of(h: Harness, model: type[Any]) -> list[Any]:
    """Every row of the table, by id."""
    async with h.app.sessionmaker() as session:
        return list((await session.execute(select(model).order_by(model.id))).scalars())


async def member_named(h: Harness, name: str) -> Member:
    async with h.app.sessionmaker() as session:
        return (await session.execute(select(Member).where(Member.name == name))).scalar_one()


async def outbox_rows(h: Harness) -> list[OutboxMessage]:
    async with h.app.sessionmaker() as session:
        statement = select(OutboxMessage).order_by(OutboxMessage.id)
        return list((await session.execute(statement)).scalars())


async def until(probe: Callable[[], Awaitable[bool]], what: str, timeout: float = 5.0) -> None:
    """Poll (the database) until `probe` holds; fail naming `what` after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await probe():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def settled(h: Harness) -> bool:
    """No row is waiting or mid-send (each is sent, dropped, unreachable or failed)."""
    return all(row.state not in ("pending", "sending") for row in await outbox_rows(h))
