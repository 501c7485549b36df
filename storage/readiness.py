"""Read queries for `cadrebot doctor`: what a deployment holds so far, one aggregate each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import ColumnElement, Connection, exists, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from storage.migrate import stamped_in
from storage.models import (
    Cadre,
    Campaign,
    Household,
    Invite,
    OutboxMessage,
    SchedulerLease,
    Unit,
)
from storage.reminders import LEASE_NAME

UNSENT = ("pending", "sending")


@dataclass(frozen=True)
class RosterCounts:
    units: int
    active_cadres: int
    registered_cadres: int
    households: int


@dataclass(frozen=True)
class LeaseRow:
    holder: str
    expires_at: datetime


@dataclass(frozen=True)
class OpenInvite:
    """An unregistered cadre's invite that can still be used."""

    code: str
    expires_at: datetime


@dataclass(frozen=True)
class Backlog:
    """Outbox rows due and not sent yet, and when the oldest of them was due."""

    due: int
    oldest_due: datetime | None


def missing_sqlite_file(database_url: str) -> Path | None:
    """The SQLite file the URL names, if it does not exist yet (opening it would create it)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database)
    return None if path.exists() else path


async def schema_revisions(session: AsyncSession) -> frozenset[str]:
    """The migration revisions the database is stamped with (none for an empty database)."""

    def stamped(connection: Connection) -> frozenset[str]:
        # A county's session (storage.tenancy) names its schema in its translate map.
        schema = connection.get_execution_options().get("schema_translate_map", {}).get(None)
        return stamped_in(connection, schema)

    connection = await session.connection()
    return await connection.run_sync(stamped)


async def roster_counts(session: AsyncSession) -> RosterCounts:
    active = Cadre.active.is_(True)
    row = (
        await session.execute(
            select(
                select(func.count()).select_from(Unit).scalar_subquery(),
                select(func.count()).select_from(Cadre).where(active).scalar_subquery(),
                select(func.count())
                .select_from(Cadre)
                .where(active, Cadre.telegram_user_id.is_not(None))
                .scalar_subquery(),
                select(func.count()).select_from(Household).scalar_subquery(),
            )
        )
    ).one()
    return RosterCounts(*(int(value) for value in row))


def _open_invite(now: datetime) -> ColumnElement[bool]:
    return exists().where(
        Invite.cadre_id == Cadre.id, Invite.used_at.is_(None), Invite.expires_at > now
    )


_UNREGISTERED = (Cadre.active.is_(True), Cadre.telegram_user_id.is_(None))


async def unregistered_cadres(session: AsyncSession, limit: int, now: datetime) -> list[str]:
    """Codes of active cadres who have not bound a Telegram account yet and hold no open
    invite (one that is unused and unexpired at `now`), by code."""
    rows = await session.execute(
        select(Cadre.code)
        .where(*_UNREGISTERED, ~_open_invite(now))
        .order_by(Cadre.code)
        .limit(limit)
    )
    return list(rows.scalars())


async def invited_cadres(
    session: AsyncSession, limit: int, now: datetime
) -> tuple[int, list[OpenInvite]]:
    """How many unregistered active cadres hold an open invite; the first few, by code, with
    when their latest open invite expires."""
    expires = func.max(Invite.expires_at)
    query = (
        select(Cadre.code, expires)
        .join(Invite, Invite.cadre_id == Cadre.id)
        .where(*_UNREGISTERED, Invite.used_at.is_(None), Invite.expires_at > now)
        .group_by(Cadre.code)
    )
    count = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(query.order_by(Cadre.code).limit(limit))
    return int(count or 0), [OpenInvite(code, at) for code, at in rows.all()]


async def plan_loaded_for(session: AsyncSession, year: int) -> bool:
    """Whether any campaign of that plan year is loaded."""
    found = await session.execute(select(exists().where(Campaign.plan_year == year)))
    return bool(found.scalar())


async def scheduler_lease(session: AsyncSession) -> LeaseRow | None:
    row = (
        await session.execute(
            select(SchedulerLease.holder, SchedulerLease.expires_at).where(
                SchedulerLease.name == LEASE_NAME
            )
        )
    ).one_or_none()
    return None if row is None else LeaseRow(row.holder, row.expires_at)


async def outbox_backlog(session: AsyncSession, now: datetime) -> Backlog:
    row = (
        await session.execute(
            select(func.count(), func.min(OutboxMessage.not_before)).where(
                OutboxMessage.state.in_(UNSENT), OutboxMessage.not_before <= now
            )
        )
    ).one()
    return Backlog(int(row[0]), row[1])
