"""The outbox as the monitoring server shows it: rows by state, and how long the oldest
unsent one has been sendable (domain.outbox_lag)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.outbox_lag import oldest_sendable_age
from domain.reminders import CASE_EVENT, QuietHours
from services.transaction import unit_of_work
from storage.monitoring import oldest_unsent, outbox_counts

# Every state a row can be in (storage.models.OutboxMessage): each is shown, 0 if empty.
OUTBOX_STATES = ("pending", "sending", "sent", "dropped", "unreachable", "failed")
# Rows quiet hours never hold (as reminders/sender.py sends them).
EVENT_RULES = (CASE_EVENT,)


@dataclass(frozen=True)
class OutboxSnapshot:
    counts: dict[str, int]
    oldest_pending_age: float  # seconds


async def outbox_snapshot(
    session: AsyncSession, now: datetime, quiet: QuietHours | None, tz: ZoneInfo
) -> OutboxSnapshot:
    """One read transaction: counts by state and the oldest sendable row's age."""
    async with unit_of_work(session):
        counts = await outbox_counts(session)
        oldest = await oldest_unsent(session, now, EVENT_RULES)
    every = {state: counts.get(state, 0) for state in OUTBOX_STATES}
    every.update(counts)  # a state this list does not know yet is still shown
    age = oldest_sendable_age(now, oldest.events, oldest.others, quiet, tz)
    return OutboxSnapshot(every, age)
