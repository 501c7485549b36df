"""Rule runs: compute who owes what for the days due and write outbox rows, once per key."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock, FixedClock, local_today
from domain.reminders import RuleSpec, days_to_evaluate, occurrences_on
from reminders.rules import Reminder, RuleContext, due_reminders, fire_instant
from reminders.streams import in_order_started_early
from storage.models import ReminderRule
from storage.reminders import enqueue_many, rule_by_name, rules, set_evaluated_through

logger = logging.getLogger(__name__)

# Reminders handed on, and outbox rows written per INSERT, at a time: a run over a province
# streams its reminders and never holds more than this many at once (handed on one by one,
# each layer of generators cost a second of a province's preview).
BATCH = 500


@dataclass(frozen=True)
class RunResult:
    rule: str
    days: tuple[date, ...]
    computed: int
    inserted: int


def spec_of(row: ReminderRule) -> RuleSpec:
    return RuleSpec.from_json(row.name, row.spec, row.hour, row.minute, row.enabled)


def _days(
    row: ReminderRule, spec: RuleSpec, now: datetime, today: date, context: RuleContext
) -> list[date]:
    """Missed days and today, but today only once its fire time has passed."""
    days = days_to_evaluate(row.evaluated_through, today)
    if days and days[-1] == today and now < fire_instant(spec, today, context.tz):
        days.pop()
    return days


async def compute(
    session: AsyncSession, spec: RuleSpec, days: list[date], context: RuleContext, clock: Clock
) -> AsyncIterator[list[Reminder]]:
    """The reminders of the days, streamed as the rules read them, `BATCH` at a time."""
    batch: list[Reminder] = []
    for day in days:
        for occurrence in occurrences_on(spec, day):
            async for reminder in due_reminders(session, spec, occurrence, context, clock):
                batch.append(reminder)
                if len(batch) == BATCH:
                    yield batch
                    batch = []
    if batch:
        yield batch


async def run_rule(
    sessionmaker: async_sessionmaker[AsyncSession],
    name: str,
    clock: Clock,
    context: RuleContext,
) -> RunResult:
    """One job firing: one transaction, so a crash leaves either all rows or none."""
    now = clock.now()
    today = local_today(clock, context.tz)
    async with sessionmaker() as session, session.begin():
        row = await rule_by_name(session, name)
        if row is None:
            return RunResult(name, (), 0, 0)
        spec = spec_of(row)
        days = _days(row, spec, now, today, context)
        computed = inserted = 0
        async for reminders in compute(session, spec, days, context, clock):
            computed += len(reminders)
            rows = [reminder.outbox_values(now, now) for reminder in reminders]
            inserted += await enqueue_many(session, rows)
        if days:
            await set_evaluated_through(session, name, days[-1])
    if computed:
        logger.info("rule %s: %d owed, %d new outbox rows", name, computed, inserted)
    return RunResult(name, tuple(days), computed, inserted)


async def preview(
    sessionmaker: async_sessionmaker[AsyncSession],
    at: datetime,
    context: RuleContext,
    at_once: int = 1,
) -> AsyncIterator[list[Reminder]]:
    """What the rules would send at `at` (its local day, fire times passed): a dry run,
    streamed rule by rule, a batch at a time. Each rule reads in its own transaction, as
    the scheduler runs it; `at_once` rules start together, so the database computes a later
    rule's statement while an earlier rule's reminders are worded (a province's ledger rule
    waits seconds for its first row)."""
    clock = FixedClock(at)
    day = at.astimezone(context.tz).date()
    async with sessionmaker() as session:
        specs = [spec_of(row) for row in await rules(session)]

    async def dry_run(spec: RuleSpec) -> AsyncGenerator[list[Reminder], None]:
        async with sessionmaker() as session, session.begin():
            async for reminders in compute(session, spec, [day], context, clock):
                yield reminders

    firing = [spec for spec in specs if at >= fire_instant(spec, day, context.tz)]
    async for reminders in in_order_started_early([dry_run(s) for s in firing], at_once):
        yield reminders
