"""Read queries for the monitoring server (bot.monitoring): the outbox's shape and the
schema stamps. Cheap on purpose: a GROUP BY and a MIN on the outbox's (state, not_before)
index, and one connection for every schema's stamp."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage.migrate import stamped_in
from storage.models import OutboxMessage
from storage.readiness import UNSENT


@dataclass(frozen=True)
class OldestUnsent:
    """The earliest due time of unsent rows that are due, apart for `event_rules`."""

    events: datetime | None
    others: datetime | None


async def outbox_counts(session: AsyncSession) -> dict[str, int]:
    """Rows by state (states without rows are left out)."""
    rows = await session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    )
    return {state: int(count) for state, count in rows.all()}


async def oldest_unsent(
    session: AsyncSession, now: datetime, event_rules: Sequence[str]
) -> OldestUnsent:
    is_event = OutboxMessage.rule.in_(list(event_rules))
    rows = await session.execute(
        select(is_event, func.min(OutboxMessage.not_before))
        .where(OutboxMessage.state.in_(UNSENT), OutboxMessage.not_before <= now)
        .group_by(is_event)
    )
    found = {bool(event): oldest for event, oldest in rows.all()}
    return OldestUnsent(found.get(True), found.get(False))


async def schema_stamps(
    engine: AsyncEngine, schemas: Sequence[str | None]
) -> dict[str | None, frozenset[str]]:
    """The migration revisions each schema is stamped with (None: the connection's own),
    read over one connection."""

    def read(connection: Connection) -> dict[str | None, frozenset[str]]:
        return {schema: stamped_in(connection, schema) for schema in schemas}

    async with engine.connect() as connection:
        return await connection.run_sync(read)
