"""The sender outlives a failing database: a batch that raises is logged and retried, and
every reminder still arrives once (before, a single locked-database error ended delivery
until the process restarted)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_reminders
from bot.settings import load_settings
from domain.clock import FixedClock
from reminders.scheduler import ReminderScheduler, ReminderService
from reminders.sender import STUCK_AFTER, Sender, SenderSettings
from storage.models import OutboxMessage
from storage.reminders import take_lease
from tests.e2e.conftest import CADRE_TG, OTHER_CADRE_TG, TOKEN, Harness
from tests.e2e.reminder_helpers import add_pending, bot_without_scheduler, outbox, rule_context
from ui.i18n import Catalogs

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


def _fast(**overrides: Any) -> SenderSettings:
    options: dict[str, Any] = {
        "rate": None,
        "per_chat_interval": 0.05,
        "quiet": None,
        "idle_poll": 0.02,
        "error_pause": 0.05,
    }
    options.update(overrides)
    return SenderSettings(**options)


async def _until(check: Any, what: str, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _received(harness: Harness, chat_id: int) -> Counter[str]:
    return Counter(m["text"] for m in harness.api.messages_to(chat_id)[1:])  # after /start


async def test_a_crashed_process_is_replaced_and_its_reminders_out_within_60_seconds(
    bot_with_rules: Harness,
) -> None:
    """A process killed mid-batch (lease not given up, rows left 'sending'): a new process
    takes the lease over and delivers every reminder within 60 s of the crash by the clock;
    none is lost and only those in flight at the kill may arrive twice (one per chat)."""
    harness = bot_with_rules
    await harness.register(CADRE_TG, "C1")
    await harness.register(OTHER_CADRE_TG, "C2")
    crash = DEC_1
    harness.clock.set(crash)
    await add_pending(harness, "C1", CADRE_TG, 40, crash)
    await add_pending(harness, "C2", OTHER_CADRE_TG, 40, crash)
    context = rule_context(harness)
    lease = timedelta(seconds=harness.app.settings.lease_seconds)  # the default, 30 s
    dead = ReminderService.build(
        harness.app.bot, harness.app.sessionmaker, harness.clock, context, _fast(), lease=lease
    )
    await dead.start()
    await harness.api.wait_for_messages(CADRE_TG, count=3)
    # The kill: the sender's task cancelled mid-batch, the lease kept, nothing tidied up.
    assert dead._task is not None
    dead._task.cancel()
    dead.scheduler.scheduler.shutdown(wait=False)
    with contextlib.suppress(asyncio.CancelledError):
        await dead._task
    await asyncio.sleep(0.1)  # the shielded sends in flight land with their marks
    left = [r for r in await outbox(harness) if r.state == "sending"]
    assert len(left) > 40  # most of the batch was never sent

    restarted = ReminderService.build(
        harness.app.bot, harness.app.sessionmaker, harness.clock, context, _fast(), lease=lease
    )
    await restarted.start()
    try:
        assert not restarted.scheduler.holds_lease()
        # Time passes in renewal periods; the dead holder's lease runs out.
        took_over_at = None
        for tick in range(1, 7):
            harness.clock.set(crash + tick * restarted.scheduler.renew_every)
            await restarted.scheduler.renew()
            if restarted.scheduler.holds_lease():
                took_over_at = harness.clock.now()
                break
            assert restarted.sender.sent == 0  # nothing sent under another's lease
        assert took_over_at is not None and took_over_at - crash <= timedelta(seconds=40)

        async def all_sent() -> bool:
            return {r.state for r in await outbox(harness)} == {"sent"}

        await _until(all_sent, "every reminder to be sent")  # the clock stays at takeover
        assert harness.clock.now() - crash < timedelta(seconds=60)
    finally:
        await restarted.stop()
    for chat in (CADRE_TG, OTHER_CADRE_TG):
        got = Counter({k: v for k, v in _received(harness, chat).items() if "reminder " in k})
        assert set(got) == {f"reminder {n}" for n in range(40)}  # none lost
        assert sum(got.values()) - 40 <= 1  # at most the one in flight at the kill, twice


async def test_rows_a_dead_sender_left_are_handed_back_while_this_one_runs(
    bot_with_rules: Harness,
) -> None:
    """Not only at start: a running sender picks up rows left 'sending' (by a process that
    died while this one was already running) once they are STUCK_AFTER old."""
    harness = bot_with_rules
    await harness.register(CADRE_TG, "C1")
    harness.clock.set(DEC_1)
    sender = Sender(
        harness.app.bot, harness.app.sessionmaker, harness.clock, rule_context(harness), _fast()
    )
    task = asyncio.create_task(sender.run())
    try:
        await asyncio.sleep(0.1)  # running, nothing to do
        # Written not yet due, so this sender cannot claim them before they are made stuck.
        await add_pending(harness, "C1", CADRE_TG, 3, DEC_1 + timedelta(days=1))
        async with harness.app.sessionmaker() as session, session.begin():
            await session.execute(
                update(OutboxMessage).values(state="sending", claimed_at=DEC_1, not_before=DEC_1)
            )
        await asyncio.sleep(0.1)
        assert sender.sent == 0  # a fresh claim is another sender's
        harness.clock.set(DEC_1 + STUCK_AFTER + timedelta(seconds=1))
        await harness.api.wait_for_messages(CADRE_TG, count=3)
    finally:
        sender.stop()
        await asyncio.wait_for(task, timeout=5)
    assert _received(harness, CADRE_TG) == Counter(f"reminder {n}" for n in range(3))


async def test_a_long_batch_keeps_its_claims_fresh(bot_with_rules: Harness) -> None:
    """A batch that runs longer than STUCK_AFTER renews its claims, so a second sender (two
    processes while the lease changes hands) takes none of its rows: each arrives once."""
    harness = bot_with_rules
    await harness.register(CADRE_TG, "C1")
    harness.clock.set(DEC_1)
    await add_pending(harness, "C1", CADRE_TG, 8, DEC_1)
    context = rule_context(harness)
    slow = _fast(per_chat_interval=0.15, heartbeat=0.03)
    first = Sender(harness.app.bot, harness.app.sessionmaker, harness.clock, context, slow)
    second = Sender(harness.app.bot, harness.app.sessionmaker, harness.clock, context, _fast())
    task = asyncio.create_task(first.run())
    try:
        await harness.api.wait_for_messages(CADRE_TG, count=1)
        harness.clock.set(DEC_1 + STUCK_AFTER + timedelta(seconds=1))  # the batch is "old"
        await asyncio.sleep(0.1)  # a heartbeat or more
        other = asyncio.create_task(second.run())
        await asyncio.sleep(0.3)
        second.stop()
        await asyncio.wait_for(other, timeout=5)
        await harness.api.wait_for_messages(CADRE_TG, count=7)
    finally:
        first.stop()
        await asyncio.wait_for(task, timeout=5)
    assert second.sent == 0
    assert _received(harness, CADRE_TG) == Counter(f"reminder {n}" for n in range(8))


async def test_a_stopped_sender_puts_the_rest_of_its_batch_back(bot_with_rules: Harness) -> None:
    """Stopping waits only for the sends in flight; the batch's other rows are pending again
    at once (not 'sending' until they look stuck)."""
    harness = bot_with_rules
    await harness.register(CADRE_TG, "C1")
    harness.clock.set(DEC_1)
    await add_pending(harness, "C1", CADRE_TG, 20, DEC_1)
    sender = Sender(
        harness.app.bot,
        harness.app.sessionmaker,
        harness.clock,
        rule_context(harness),
        _fast(per_chat_interval=0.1),
    )
    task = asyncio.create_task(sender.run())
    await harness.api.wait_for_messages(CADRE_TG, count=2)
    sender.stop()
    await asyncio.wait_for(task, timeout=5)
    states = Counter(r.state for r in await outbox(harness))
    assert states["sending"] == 0
    assert states["sent"] == sender.sent and states["pending"] == 20 - sender.sent > 0


def test_the_lease_lives_as_configured_and_is_renewed_every_third(tmp_path: Path) -> None:
    settings = load_settings(_env_file=None, CADREBOT_LEASE_SECONDS="12")
    assert settings.lease_seconds == 12
    assert load_settings(_env_file=None).lease_seconds == 30
    service = build_reminders(settings, Bot(TOKEN), None, Catalogs.load("zh"), FixedClock(DEC_1))  # type: ignore[arg-type]
    assert service.scheduler.lease == timedelta(seconds=12)
    assert service.scheduler.renew_every == timedelta(seconds=4)
