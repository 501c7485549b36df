"""The sender outlives a failing database: a batch that raises is logged and retried, and
every reminder still arrives once (before, a single locked-database error ended delivery
until the process restarted)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reminders.scheduler import ReminderScheduler, ReminderService
from reminders.sender import Sender, SenderSettings
from storage.models import OutboxMessage
from storage.reminders import take_lease
from tests.e2e.conftest import CADRE_TG, OTHER_CADRE_TG, Harness
from tests.e2e.reminder_helpers import add_pending, bot_without_scheduler, outbox, rule_context

# 2026-12-01 09:30 in Shanghai: the household-visit rule (30 days before Q4 ends) has fired.
DEC_1 = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)


class FlakySessions(async_sessionmaker[AsyncSession]):
    """The real sessionmaker, except that the calls numbered in `fail_on` raise as a locked
    or restarting database would."""

    def __init__(self, real: async_sessionmaker[AsyncSession], fail_on: set[int]) -> None:
        super().__init__(**real.kw)
        self.class_ = real.class_
        self.fail_on = fail_on
        self.calls = 0

    def __call__(self, **local_kw: Any) -> AsyncSession:
        self.calls += 1
        if self.calls in self.fail_on:
            raise OperationalError("claim", {}, Exception("database is locked"))
        return super().__call__(**local_kw)


@pytest.fixture
async def bot_with_rules(tmp_path: Path) -> AsyncIterator[Harness]:
    async with bot_without_scheduler(tmp_path) as running:
        yield running


async def test_a_failing_batch_is_retried_and_every_reminder_arrives_once(
    bot_with_rules: Harness,
) -> None:
    harness = bot_with_rules
    await harness.register(CADRE_TG, "C1")
    await harness.register(OTHER_CADRE_TG, "C2")
    harness.clock.set(DEC_1)
    context = rule_context(harness)
    scheduler = ReminderScheduler(harness.app.sessionmaker, harness.clock, context, "test")
    result = await scheduler.fire("household_visit")
    assert result is not None and result.inserted == 2
    # Call 1 releases stuck rows at start; calls 2 and 3 are the first two batch claims.
    sessions = FlakySessions(harness.app.sessionmaker, fail_on={2, 3})
    sender = Sender(
        harness.app.bot,
        sessions,
        harness.clock,
        context,
        SenderSettings(
            rate=None, per_chat_interval=0.0, quiet=None, idle_poll=0.02, error_pause=0.05
        ),
    )
    task = asyncio.create_task(sender.run())
    try:
        first = await harness.api.wait_for_messages(CADRE_TG, count=1)
        second = await harness.api.wait_for_messages(OTHER_CADRE_TG, count=1)
    finally:
        sender.stop()
        await asyncio.wait_for(task, timeout=5)  # ends cleanly: the failures did not kill it
    assert sessions.calls > 3
    assert sender.sent == 2
    assert first[0]["reply_markup"]["inline_keyboard"]  # the one-tap visit buttons
    assert second[0]["reply_markup"]["inline_keyboard"]
    async with harness.app.sessionmaker() as session:
        states = Counter((await session.execute(select(OutboxMessage.state))).scalars().all())
    assert states == Counter({"sent": 2})
    await asyncio.sleep(0.1)  # nothing more arrives
    assert len(harness.api.messages_to(CADRE_TG)) == 2  # the registration reply + 1 reminder
    assert len(harness.api.messages_to(OTHER_CADRE_TG)) == 2


async def test_without_the_retry_a_failed_claim_would_be_fatal(bot_with_rules: Harness) -> None:
    """The failure is real: one batch on its own raises it (so the loop's retry is needed)."""
    harness = bot_with_rules
    context = rule_context(harness)
    sender = Sender(
        harness.app.bot,
        FlakySessions(harness.app.sessionmaker, fail_on={1}),
        harness.clock,
        context,
        SenderSettings(rate=None, quiet=None),
    )
    with pytest.raises(OperationalError):
        await sender.run_once()


async def test_two_processes_fire_and_send_as_one(bot_with_rules: Harness) -> None:
    """Two reminder services (as two processes would run them) on one database: one holds
    the lease, fires and sends; the other stays idle; each reminder arrives once. When the
    first stops, the second takes over."""
    harness = bot_with_rules
    await harness.register(CADRE_TG, "C1")
    await harness.register(OTHER_CADRE_TG, "C2")
    harness.clock.set(DEC_1)
    context = rule_context(harness)
    options = SenderSettings(rate=None, per_chat_interval=0.0, quiet=None, idle_poll=0.02)
    first, second = (
        ReminderService.build(
            harness.app.bot, harness.app.sessionmaker, harness.clock, context, options
        )
        for _ in range(2)
    )
    assert first.scheduler.holder != second.scheduler.holder
    await first.start()
    await second.start()
    # More reminders while both run (as the next firing would add): only one sender takes them.
    await add_pending(harness, "C1", CADRE_TG, 30, DEC_1)
    try:
        for _ in range(100):
            rows = await outbox(harness)
            if rows and {r.state for r in rows} == {"sent"}:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        assert first.scheduler.holds_lease() and not second.scheduler.holds_lease()
        assert {r.rule for r in rows} >= {"household_visit"}
        assert (first.sender.sent, second.sender.sent) == (len(rows), 0)
    finally:
        await first.stop()
    # The first process is gone (its lease given up): the second renews and takes over.
    assert not second.scheduler.holds_lease()
    await second.scheduler.renew()  # its periodic renewal: takes over and catches up
    assert second.scheduler.holds_lease()
    await second.stop()
    for chat in (CADRE_TG, OTHER_CADRE_TG):
        owed = sum(1 for r in rows if r.chat_id == chat)
        received = harness.api.messages_to(chat)[1:]  # after the registration reply
        assert owed >= 1 and len(received) == owed
        assert len({m["text"] for m in received}) == owed  # none twice


async def test_a_standby_takes_over_from_a_dead_holder_and_catches_up(
    bot_with_rules: Harness,
) -> None:
    """A holder that died without giving up the lease: the standby neither fires nor sends
    while the lease is valid; once it has expired, the standby's renewal takes it, runs the
    rules left unfired, and its sender delivers them."""
    harness = bot_with_rules
    await harness.register(CADRE_TG, "C1")
    await harness.register(OTHER_CADRE_TG, "C2")
    harness.clock.set(DEC_1)
    async with harness.app.sessionmaker() as session, session.begin():
        assert await take_lease(session, "dead", DEC_1, DEC_1 + timedelta(seconds=60))
    context = rule_context(harness)
    options = SenderSettings(rate=None, per_chat_interval=0.0, quiet=None, idle_poll=0.02)
    standby = ReminderService.build(
        harness.app.bot, harness.app.sessionmaker, harness.clock, context, options
    )
    await standby.start()
    try:
        await standby.scheduler.renew()
        assert not standby.scheduler.holds_lease()
        assert await outbox(harness) == []  # nothing fired under another's lease
        harness.clock.set(DEC_1 + timedelta(seconds=61))  # the dead holder's lease expired
        await standby.scheduler.renew()
        assert standby.scheduler.holds_lease()
        assert {r.rule for r in await outbox(harness)} >= {"household_visit"}
        await harness.api.wait_for_messages(CADRE_TG, count=1)
        await harness.api.wait_for_messages(OTHER_CADRE_TG, count=1)
    finally:
        await standby.stop()
