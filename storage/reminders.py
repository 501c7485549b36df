"""Reminder storage: rules, the outbox (once per key), the scheduler lease, who can be reached."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Row, Select, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Cadre, OutboxMessage, ReminderRule, SchedulerLease
from storage.upsert import insert_ignore_duplicate, insert_ignoring

LEASE_NAME = "reminders"
OUTBOX_KEY = ("cadre_id", "rule", "period", "occurrence")


@dataclass(frozen=True)
class Recipient:
    """A registered, active cadre whom Telegram has not told us is unreachable."""

    cadre_id: int
    chat_id: int
    name: str
    unit_id: int
    role: str
    locale: str | None


# A Recipient's columns, in its fields' order, and what makes a cadre reachable: for the
# rules that join their own question to the recipients in one statement.
RECIPIENT_COLUMNS = (
    Cadre.id,
    Cadre.telegram_user_id,
    Cadre.name,
    Cadre.unit_id,
    Cadre.role,
    Cadre.locale,
)
REACHABLE = (
    Cadre.telegram_user_id.is_not(None),
    Cadre.active.is_(True),
    Cadre.unreachable_at.is_(None),
)


def _reachable() -> Select[int, int | None, str, int, str, str | None]:
    return select(*RECIPIENT_COLUMNS).where(*REACHABLE)


def recipient_of(row: Row[*tuple[Any, ...]]) -> Recipient:
    """A Recipient from a row that starts with RECIPIENT_COLUMNS."""
    return Recipient(row[0], int(row[1] or 0), row[2], row[3], row[4], row[5])


async def reachable_cadres(
    session: AsyncSession,
    unit_ids: Sequence[int] | None = None,
    cadre_ids: Sequence[int] | None = None,
    roles: Sequence[str] | None = None,
) -> list[Recipient]:
    """Reachable cadres by id, of the units, ids and roles given (each None: any)."""
    statement = _reachable().order_by(Cadre.id)
    if unit_ids is not None:
        statement = statement.where(Cadre.unit_id.in_(list(unit_ids)))
    if cadre_ids is not None:
        statement = statement.where(Cadre.id.in_(list(cadre_ids)))
    if roles is not None:
        statement = statement.where(Cadre.role.in_(list(roles)))
    return [recipient_of(row) for row in (await session.execute(statement)).all()]


async def recipient(session: AsyncSession, cadre_id: int) -> Recipient | None:
    row = (await session.execute(_reachable().where(Cadre.id == cadre_id))).first()
    return None if row is None else recipient_of(row)


async def recipients(session: AsyncSession, cadre_ids: Sequence[int]) -> dict[int, Recipient]:
    rows = (await session.execute(_reachable().where(Cadre.id.in_(list(cadre_ids))))).all()
    return {row[0]: recipient_of(row) for row in rows}


async def finish_many(session: AsyncSession, row_ids: Sequence[int], state: str) -> None:
    if row_ids:
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(list(row_ids))).values(state=state)
        )


async def rules(session: AsyncSession) -> list[ReminderRule]:
    return list((await session.execute(select(ReminderRule).order_by(ReminderRule.name))).scalars())


async def rule_by_name(session: AsyncSession, name: str) -> ReminderRule | None:
    return await session.get(ReminderRule, name)


async def enqueue(session: AsyncSession, values: dict[str, object]) -> bool:
    """Insert one outbox row; False when its (cadre, rule, period, occurrence) already exists."""
    return await insert_ignore_duplicate(session, OutboxMessage, values, OUTBOX_KEY) is not None


async def enqueue_many(session: AsyncSession, rows: Sequence[dict[str, object]]) -> int:
    """Insert outbox rows, batched by the driver (one statement compiled once, sent as
    multi-row INSERTs); how many were new (the others' key existed)."""
    if not rows:
        return 0
    connection = await session.connection()
    statement = insert_ignoring(OutboxMessage, OUTBOX_KEY, connection.dialect.name)
    return len((await connection.execute(statement, list(rows))).all())


async def release_stuck(session: AsyncSession, claimed_before: datetime) -> int:
    """Rows left 'sending' by a sender that died: back to pending (their send is unknown)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == "sending", OutboxMessage.claimed_at < claimed_before)
        .values(state="pending")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def release(session: AsyncSession, row_ids: Sequence[int]) -> int:
    """Rows this sender claimed but will not send (it stops, or lost the lease): pending."""
    if not row_ids:
        return 0
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(row_ids)), OutboxMessage.state == "sending")
        .values(state="pending")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def renew_claims(session: AsyncSession, row_ids: Sequence[int], now: datetime) -> None:
    """A live sender's heartbeat on the rows it still holds, so none of them looks stuck."""
    if row_ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(row_ids)), OutboxMessage.state == "sending")
            .values(claimed_at=now)
        )


async def claim_due(
    session: AsyncSession, now: datetime, limit: int, only_rules: Sequence[str] | None = None
) -> list[OutboxMessage]:
    """Mark up to `limit` due pending rows 'sending' (of `only_rules`, when given) and return
    them, oldest first.

    On PostgreSQL, SKIP LOCKED lets two senders share the work without taking a row twice;
    SQLite serialises writers, so the UPDATE by id list is already exclusive there.
    """
    statement = (
        select(OutboxMessage)
        .where(OutboxMessage.state == "pending", OutboxMessage.not_before <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if only_rules is not None:
        statement = statement.where(OutboxMessage.rule.in_(list(only_rules)))
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    rows = list((await session.execute(statement)).scalars())
    if rows:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([r.id for r in rows]))
            .values(state="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
        )
    return rows


async def finish(
    session: AsyncSession,
    row_id: int,
    state: str,
    at: datetime,
    error: str | None = None,
) -> None:
    values: dict[str, object] = {"state": state, "last_error": error}
    if state == "sent":
        values["sent_at"] = at
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(values))


async def mark_sent(session: AsyncSession, row_ids: Sequence[int], at: datetime) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(row_ids)))
        .values(state="sent", sent_at=at, last_error=None)
    )


async def retry_later(session: AsyncSession, row_id: int, not_before: datetime, error: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(state="pending", not_before=not_before, last_error=error)
    )


async def mark_unreachable(session: AsyncSession, cadre_id: int, at: datetime) -> None:
    """403: the person blocked the bot. Stop every pending reminder to them."""
    await session.execute(update(Cadre).where(Cadre.id == cadre_id).values(unreachable_at=at))
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.cadre_id == cadre_id, OutboxMessage.state == "pending")
        .values(state="unreachable")
    )


async def mark_reachable(session: AsyncSession, telegram_user_id: int) -> None:
    """They wrote to the bot again, so they unblocked it."""
    await session.execute(
        update(Cadre)
        .where(Cadre.telegram_user_id == telegram_user_id, Cadre.unreachable_at.is_not(None))
        .values(unreachable_at=None)
    )


async def outbox_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    )
    return {state: int(count) for state, count in rows.all()}


async def take_lease(session: AsyncSession, holder: str, now: datetime, until: datetime) -> bool:
    """Take or renew the lease; True while this holder has it. One row, conditional update."""
    result = await session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == LEASE_NAME,
            or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now),
        )
        .values(holder=holder, expires_at=until)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return True
    connection = await session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    created = await session.execute(
        insert(SchedulerLease)
        .values(name=LEASE_NAME, holder=holder, expires_at=until)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return bool(created.rowcount)  # type: ignore[attr-defined]


# The expiry a lease given up at a clean stop is set to (long past: anyone may take it).
GIVEN_UP = datetime(2000, 1, 1, tzinfo=UTC)


async def give_up_lease(session: AsyncSession, holder: str) -> None:
    await session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == holder)
        .values(expires_at=GIVEN_UP)
    )


async def set_evaluated_through(session: AsyncSession, name: str, day: date) -> None:
    await session.execute(
        update(ReminderRule).where(ReminderRule.name == name).values(evaluated_through=day)
    )
