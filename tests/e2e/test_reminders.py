"""Reminders end to end: the scheduler's rules write the outbox, the sender delivers through
the fake Bot API (429 and 403 injected), buttons work, and nothing arrives twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from domain.reminders import DEFAULT_RULES, QuietHours
from reminders.outbox import RunResult
from reminders.scheduler import ReminderScheduler
from reminders.sender import Sender, SenderSettings
from storage.models import Cadre, ReminderRule, Unit, UnitVillage, Village
from tests.e2e.conftest import (
    CADRE_TG,
    HEAD_TG,
    OTHER_CADRE_TG,
    SUPERVISOR_TG,
    Harness,
)
from tests.e2e.reminder_helpers import add_pending, bot_without_scheduler, outbox, rule_context
from ui.refusals import REFUSALS

# 2026-12-01 09:30 in Shanghai: 30 days before Q4 ends, the household-visit rule fires at 09:00.
DEC_1 = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)


@pytest.fixture
async def quiet_bot(tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot with no scheduler of its own: each test drives scheduler and sender itself."""
    async with bot_without_scheduler(tmp_path) as running:
        yield running


def _scheduler(harness: Harness, holder: str = "test") -> ReminderScheduler:
    return ReminderScheduler(harness.app.sessionmaker, harness.clock, rule_context(harness), holder)


def _sender(harness: Harness, **settings: Any) -> Sender:
    options = {"rate": None, "per_chat_interval": 0.0, "quiet": None, "idle_poll": 0.05}
    options.update(settings)
    return Sender(
        harness.app.bot,
        harness.app.sessionmaker,
        harness.clock,
        rule_context(harness),
        SenderSettings(**options),
    )


async def _registered(harness: Harness) -> None:
    await harness.register(CADRE_TG, "C1")
    await harness.register(OTHER_CADRE_TG, "C2")
    await harness.say(CADRE_TG, "/visit H001 2026-11-20")


async def _household_reminders_written(harness: Harness) -> RunResult | None:
    """C1 and C2 registered, H001 visited; on December 1 the household rule has fired."""
    await _registered(harness)
    harness.clock.set(DEC_1)
    return await _scheduler(harness).fire("household_visit")


async def test_household_reminder_lists_what_is_owed_with_working_buttons(
    quiet_bot: Harness,
) -> None:
    harness = quiet_bot
    result = await _household_reminders_written(harness)
    assert result is not None and result.inserted == 2  # C1 (3 owed) and C2 (2 owed)
    again = await _scheduler(harness).fire("household_visit")
    assert again is not None and again.inserted == 0  # the same day twice changes nothing

    assert await _sender(harness).run_once() == 2
    [reminder] = await harness.api.wait_for_messages(CADRE_TG)
    text = reminder["text"]
    assert "2026年第四季度" in text and "H002" in text and "H004" in text and "H001" not in text
    labels = [b["text"] for row in reminder["reply_markup"]["inline_keyboard"] for b in row]
    assert labels[0] == harness.zh("\u2705 Visited {code} {head} today", code="H002", head="户主2")
    harness.api.get_user(CADRE_TG).press_button(reminder, labels[0])
    await harness.api.wait_for_edit(CADRE_TG, reminder["message_id"])
    [visit] = await harness.visits("H002")
    assert visit.visit_date.isoformat() == "2026-12-01"
    [other] = await harness.api.wait_for_messages(OTHER_CADRE_TG)
    assert "H005" in other["text"]
    assert {r.state for r in await outbox(harness)} == {"sent"}


async def test_a_reason_gone_before_sending_drops_the_reminder(quiet_bot: Harness) -> None:
    harness = quiet_bot
    await _household_reminders_written(harness)
    await harness.say(OTHER_CADRE_TG, "/visit H005")
    await harness.say(OTHER_CADRE_TG, "/visit H006")
    await _sender(harness).run_once()
    states = {r.cadre_id: r.state for r in await outbox(harness)}
    assert sorted(states.values()) == ["dropped", "sent"]
    assert harness.api.unread(OTHER_CADRE_TG) == []


async def test_429_waits_retry_after_and_403_stops_sending_to_that_person(
    quiet_bot: Harness,
) -> None:
    harness = quiet_bot
    await _household_reminders_written(harness)
    harness.api.fail_next("sendMessage", 429, retry_after=1, chat_id=CADRE_TG)
    harness.api.block(OTHER_CADRE_TG)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await _sender(harness).run_once()
    assert loop.time() - started >= 1.0  # waited Telegram's retry_after
    [reminder] = await harness.api.wait_for_messages(CADRE_TG)
    assert "H002" in reminder["text"]
    states = sorted(r.state for r in await outbox(harness))
    assert states == ["sent", "unreachable"]
    async with harness.app.sessionmaker() as session:
        blocked = (
            await session.execute(select(Cadre.unreachable_at).where(Cadre.code == "C2"))
        ).scalar_one()
    assert blocked is not None
    # The next firing skips the unreachable person entirely.
    harness.clock.set(datetime(2026, 12, 17, 1, 30, tzinfo=UTC))
    result = await _scheduler(harness).fire("household_visit")
    assert result is not None and result.inserted == 1


async def test_quiet_hours_hold_reminders_until_morning(quiet_bot: Harness) -> None:
    harness = quiet_bot
    await _household_reminders_written(harness)
    harness.clock.set(datetime(2026, 12, 1, 14, 0, tzinfo=UTC))  # 22:00 in Shanghai
    sender = _sender(harness, quiet=QuietHours())
    assert await sender.run_once() == 0
    assert {r.state for r in await outbox(harness)} == {"pending"}
    harness.clock.set(datetime(2026, 12, 2, 0, 0, tzinfo=UTC))  # 08:00
    assert await sender.run_once() == 2


async def test_killing_the_sender_mid_batch_delivers_each_reminder_once(
    quiet_bot: Harness,
) -> None:
    """Many reminders to one chat at 1 per 0.05 s; the sender is cancelled half way, twice."""
    harness = quiet_bot
    await _registered(harness)
    await add_pending(harness, "C1", CADRE_TG, 40, DEC_1)
    harness.clock.set(DEC_1)
    for _ in range(2):
        sender = _sender(harness, per_chat_interval=0.05)
        task = asyncio.create_task(sender.run())
        await asyncio.sleep(0.6)
        task.cancel()  # a crash-like stop in the middle of the batch
        with pytest.raises(asyncio.CancelledError):
            await task
    # A fresh sender, as after a restart: rows left 'sending' are released and retried.
    harness.clock.set(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    sender = _sender(harness)
    task = asyncio.create_task(sender.run())
    for _ in range(100):
        if {r.state for r in await outbox(harness)} == {"sent"}:
            break
        await asyncio.sleep(0.05)
    sender.stop()
    await task
    texts = Counter(
        m["text"] for m in harness.api.messages_to(CADRE_TG) if m["text"].startswith("reminder")
    )
    assert texts == Counter({f"reminder {n}": 1 for n in range(40)})


async def test_only_one_of_two_schedulers_fires(quiet_bot: Harness) -> None:
    harness = quiet_bot
    await _registered(harness)
    harness.clock.set(DEC_1)
    first, second = _scheduler(harness, "process-a"), _scheduler(harness, "process-b")
    assert await first.hold_lease() is True
    assert await second.fire("household_visit") is None  # the lease is process-a's
    assert await first.fire("household_visit") is not None
    await first.stop()  # gives the lease up
    assert await second.hold_lease() is True


async def test_a_bot_down_across_fire_times_catches_up_once(quiet_bot: Harness) -> None:
    """Last run on Nov 30; the bot comes back on Dec 2: Dec 1's household reminder is owed."""
    harness = quiet_bot
    await _registered(harness)
    async with harness.app.sessionmaker() as session, session.begin():
        for rule in (await session.execute(select(ReminderRule))).scalars():
            rule.evaluated_through = date(2026, 11, 30)
    harness.clock.set(datetime(2026, 12, 2, 0, 30, tzinfo=UTC))  # 08:30, before 09:00
    results = {r.rule: r for r in await _scheduler(harness).catch_up()}
    assert [d.isoformat() for d in results["household_visit"].days] == ["2026-12-01"]
    assert results["household_visit"].inserted == 2
    rows = await outbox(harness)
    assert [r.occurrence for r in rows if r.rule == "household_visit"] == ["2026-12-01"] * 2
    # The ledger milestone due 2026-11-30 (every unit's) was overdue on 12-01: the day-after
    # reminder went to 教育股, which has no registered head, so to each of its cadres.
    assert (
        sorted((r.period, r.occurrence) for r in rows if r.rule == "milestone")
        == [(rows[-1].period, "d-1")] * 2
    )
    again = await _scheduler(harness).catch_up()
    assert sum(r.inserted for r in again) == 0


async def test_my_reminders_say_what_and_when(quiet_bot: Harness) -> None:
    harness = quiet_bot
    await _registered(harness)
    [reply] = await harness.say(CADRE_TG, "/reminders")
    text = reply["text"]
    assert harness.zh("Households not yet visited this quarter") in text
    assert (
        harness.zh("next: {days} at {time}", days="2026年12月1日、2026年12月17日", time="09:00")
        in text
    )
    assert harness.zh("not yet visited now: {count}", count=3) in text  # H001 was visited
    assert (
        harness.zh("next: {days} at {time}", days="2026年11月30日、2027年11月1日", time="09:00")
        in text
    )
    assert harness.zh("incomplete now: {count}", count=4) in text
    assert harness.zh("Monthly progress report of your unit (last working day)") not in text
    assert (
        harness.zh("Your unit's monthly village visit, if not yet logged") not in text
    )  # no village
    await harness.register(HEAD_TG, "H1", language="en")
    [head] = await harness.say(HEAD_TG, "/reminders")
    assert "Monthly progress report of your unit (last working day)" in head["text"]
    assert "next: 2026-11-30, 2026-12-31 at 15:00" in head["text"]
    assert "Quiet hours 21:00-08:00: reminders wait until they end." in head["text"]


async def test_preview_prints_and_writes_nothing(
    quiet_bot: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli.invocation import Invocation
    from bot.cli.reminders import preview_at, status

    harness = quiet_bot
    await _registered(harness)
    cli = Invocation(harness.app.settings, harness.clock, harness.app.sessionmaker)
    assert await preview_at(cli, "2026-12-01 09:30") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("4 reminders at 2026-12-01 09:30")
    assert sum(line.startswith("household_visit\t2026-Q4\t2026-12-01\t") for line in lines) == 2
    assert sum(line.startswith("milestone\t") for line in lines) == 2
    assert await outbox(harness) == []
    assert await preview_at(cli, "2026-12-01 08:59") == 0
    assert capsys.readouterr().out.startswith("0 reminders")  # before the 09:00 fire time
    assert await preview_at(cli, "tomorrow") == 2
    assert await status(cli) == 0
    assert "pending     0" in capsys.readouterr().out


async def test_blocking_and_unblocking_the_bot_is_remembered(quiet_bot: Harness) -> None:
    harness = quiet_bot
    await _registered(harness)

    async def unreachable() -> datetime | None:
        async with harness.app.sessionmaker() as session:
            return (
                await session.execute(select(Cadre.unreachable_at).where(Cadre.code == "C2"))
            ).scalar_one()

    harness.api.block(OTHER_CADRE_TG)
    for _ in range(100):
        if await unreachable() is not None:
            break
        await asyncio.sleep(0.02)
    assert await unreachable() is not None
    harness.clock.set(DEC_1)
    result = await _scheduler(harness).fire("household_visit")
    assert result is not None and result.inserted == 1  # only C1: C2 blocked the bot
    harness.api.unblock(OTHER_CADRE_TG)
    for _ in range(100):
        if await unreachable() is None:
            break
        await asyncio.sleep(0.02)
    assert await unreachable() is None


async def test_the_bot_process_runs_scheduler_and_sender_itself(harness: Harness) -> None:
    """CADREBOT_SCHEDULER=inline (the default): a job firing reaches the person by itself."""
    assert harness.app.reminders is not None
    async with harness.app.sessionmaker() as session, session.begin():
        session.add_all(
            ReminderRule(name=r.name, spec=r.to_json(), hour=r.hour, minute=r.minute, enabled=True)
            for r in DEFAULT_RULES
        )
    await harness.register(CADRE_TG, "C1")
    harness.clock.set(DEC_1)
    jobs = await harness.app.reminders.scheduler.add_jobs()
    assert "reminder:household_visit" in jobs
    job = harness.app.reminders.scheduler.scheduler.get_job("reminder:household_visit")
    assert job is not None and job.coalesce and job.misfire_grace_time == 12 * 3600
    await harness.app.reminders.scheduler.fire("household_visit")
    [reminder] = await harness.api.wait_for_messages(CADRE_TG, timeout=10)
    assert "H001" in reminder["text"] and "2026年第四季度" in reminder["text"]


async def test_supervisors_get_the_monthly_notice_and_its_files_on_a_tap(
    quiet_bot: Harness,
) -> None:
    harness = quiet_bot
    await _registered(harness)
    await harness.register(SUPERVISOR_TG, "S1")
    harness.clock.set(DEC_1)
    result = await _scheduler(harness).fire("monthly_notice")
    assert result is not None and result.inserted == 1  # S1 only
    await _sender(harness).run_once()
    [notice] = await harness.api.wait_for_messages(SUPERVISOR_TG)
    assert notice["text"].startswith("月通报：2026年11月（截至2026年11月30日）")
    harness.api.get_user(SUPERVISOR_TG).press_button(
        notice, harness.zh("\U0001f4ca Workbook and chart")
    )
    document, photo = await harness.api.wait_for_messages(SUPERVISOR_TG, count=2)
    assert document["document"]["file_name"] == "notice-2026-11.xlsx"
    assert "photo" in photo
    # The same button forged by a cadre is refused by the notice's own rule.
    [own] = await harness.say(CADRE_TG, "/mystatus")
    data = notice["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    update = harness.api.get_user(CADRE_TG).forge_callback(own["message_id"], data)
    answer = await harness.api.wait_for_callback_answer(update)
    assert answer["text"] == harness.zh(REFUSALS["notice_supervisors_only"])[:200]
    assert harness.api.unread(CADRE_TG) == []


async def test_overdue_dropout_cases_go_to_the_school_then_supervisors(quiet_bot: Harness) -> None:
    """Reported 2026-11-28: acknowledging is due by 12-01 (3 days), overdue from 12-02."""
    harness = quiet_bot
    school_tg = 1005
    await harness.register(CADRE_TG, "C1")
    await harness.register(school_tg, "C3")  # 栋川中心校, the central school of 栋川镇 (H001)
    await harness.register(SUPERVISOR_TG, "S1")
    await harness.say(CADRE_TG, "/dropout H001 小明 贫困")
    await _sender(harness).run_once()  # the case's own notice to the school, via the outbox
    await harness.api.wait_for_messages(school_tg)

    harness.clock.set(datetime(2026, 12, 1, 1, 30, tzinfo=UTC))
    result = await _scheduler(harness).fire("dropout_overdue")
    assert result is not None and result.inserted == 0  # due today, not late yet

    harness.clock.set(datetime(2026, 12, 2, 1, 30, tzinfo=UTC))
    result = await _scheduler(harness).fire("dropout_overdue")
    assert result is not None and result.inserted == 1  # the school, not yet supervisors
    await _sender(harness).run_once()
    [late] = await harness.api.wait_for_messages(school_tg)
    assert "小明" in late["text"] and "H001" in late["text"]
    assert harness.zh("\U0001f4cb Open the case") in str(late["reply_markup"])

    harness.clock.set(datetime(2026, 12, 4, 1, 30, tzinfo=UTC))  # 3 days late
    result = await _scheduler(harness).fire("dropout_overdue")
    assert result is not None and result.inserted == 1  # supervisors now; the school once only
    await _sender(harness).run_once()
    [escalated] = await harness.api.wait_for_messages(SUPERVISOR_TG)
    assert "小明" in escalated["text"]


async def test_fire_days_are_shanghai_days_not_utc_days(quiet_bot: Harness) -> None:
    """A 07:00 village rule: 2026-11-19 23:30 UTC is already 11-20 07:30 in Shanghai."""
    harness = quiet_bot
    async with harness.app.sessionmaker() as session, session.begin():
        rule = await session.get(ReminderRule, "village_visit")
        assert rule is not None
        rule.hour = 7
        unit = (await session.execute(select(Unit).where(Unit.code == "JYG"))).scalar_one()
        village = (await session.execute(select(Village).where(Village.code == "V1"))).scalar_one()
        session.add(UnitVillage(unit_id=unit.id, village_id=village.id))
    await harness.register(CADRE_TG, "C1")
    harness.clock.set(datetime(2026, 11, 19, 22, 30, tzinfo=UTC))  # 06:30 local: too early
    result = await _scheduler(harness).fire("village_visit")
    assert result is not None and result.inserted == 0 and result.days == ()
    harness.clock.set(datetime(2026, 11, 19, 23, 30, tzinfo=UTC))
    result = await _scheduler(harness).fire("village_visit")
    assert result is not None and result.inserted == 1
    [row] = await outbox(harness)
    assert (row.period, row.occurrence) == ("2026-11", "2026-11-20")
    # 2027-02-28 in UTC is already 03-01 in Shanghai, 30 days before Q1 ends: the rule fires.
    harness.clock.set(datetime(2027, 2, 28, 23, 30, tzinfo=UTC))  # 2027-03-01 07:30 local
    async with harness.app.sessionmaker() as session, session.begin():
        household_rule = await session.get(ReminderRule, "household_visit")
        assert household_rule is not None
        household_rule.hour = 7
    result = await _scheduler(harness).fire("household_visit")
    assert result is not None and [d.isoformat() for d in result.days] == ["2027-03-01"]
    rows = [r for r in await outbox(harness) if r.rule == "household_visit"]
    assert [(r.period, r.occurrence) for r in rows] == [("2027-Q1", "2027-03-01")]


async def test_dropout_due_days_come_from_the_plan(quiet_bot: Harness) -> None:
    """With acknowledge_days = 1 in the plan, a case reported 11-28 is late on 11-30."""
    from domain.dropouts import DueRules
    from storage.plan_settings import save_dropout_due_rules

    harness = quiet_bot
    async with harness.app.sessionmaker() as session, session.begin():
        await save_dropout_due_rules(session, DueRules(1, 7, 30))
    school_tg = 1005
    await harness.register(CADRE_TG, "C1")
    await harness.register(school_tg, "C3")
    await harness.say(CADRE_TG, "/dropout H001 小明 贫困")
    harness.clock.set(datetime(2026, 11, 30, 1, 30, tzinfo=UTC))
    result = await _scheduler(harness).fire("dropout_overdue")
    assert result is not None and result.inserted == 1  # with the default 3 days: none yet


async def test_ledger_deadline_and_progress_request_on_november_30(quiet_bot: Harness) -> None:
    """2026-11-30 is a ledger date and the month's last working day (a Monday)."""
    harness = quiet_bot
    await _registered(harness)
    await harness.register(HEAD_TG, "H1")
    harness.clock.set(datetime(2026, 11, 30, 1, 30, tzinfo=UTC))  # 09:30 local
    ledgers = await _scheduler(harness).fire("ledger_deadline")
    assert ledgers is not None and ledgers.inserted == 2  # C1 and C2; H1 holds no household
    early = await _scheduler(harness).fire("progress_request")
    assert early is not None and early.inserted == 0 and early.days == ()  # fires at 15:00
    harness.clock.set(datetime(2026, 11, 30, 7, 30, tzinfo=UTC))  # 15:30 local
    progress = await _scheduler(harness).fire("progress_request")
    assert progress is not None and progress.inserted == 1  # the unit head of 教育股 only
    # The head reports before the sender runs: the request is dropped, the ledgers are sent.
    [listing] = await harness.say(HEAD_TG, "/progress")
    harness.api.get_user(HEAD_TG).press(
        listing, listing["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    )
    await harness.api.wait_for_edit(HEAD_TG, listing["message_id"])
    [question] = await harness.say(HEAD_TG, "台账收集中")
    harness.api.get_user(HEAD_TG).press_button(question, harness.zh("Not yet"))
    await harness.api.wait_for_edit(HEAD_TG, question["message_id"])
    await _sender(harness).run_once()
    states = {(r.rule, r.state) for r in await outbox(harness)}
    assert states == {("ledger_deadline", "sent"), ("progress_request", "dropped")}
    [ledger] = await harness.api.wait_for_messages(CADRE_TG)
    assert "2026年11月30日" in ledger["text"] and "H004" in ledger["text"]
    labels = [b["text"] for row in ledger["reply_markup"]["inline_keyboard"] for b in row]
    assert labels[0] == harness.zh("\U0001f4d2 Ledger {code} {head}", code="H001", head="户主1")


async def test_cadrebot_scheduler_runs_alone_and_stops(quiet_bot: Harness) -> None:
    from bot.cli.invocation import Invocation
    from bot.cli.scheduler import run_scheduler
    from storage.models import SchedulerLease

    settings = quiet_bot.app.settings
    cli = Invocation(settings, quiet_bot.clock, quiet_bot.app.sessionmaker)
    stop = asyncio.Event()
    running = asyncio.create_task(run_scheduler(cli, stop))
    for _ in range(100):
        async with quiet_bot.app.sessionmaker() as session:
            lease = await session.get(SchedulerLease, "reminders")
        if lease is not None:
            break
        await asyncio.sleep(0.05)
    assert lease is not None  # it took the lease, so it is the one firing
    stop.set()
    assert await asyncio.wait_for(running, 10) == 0
    no_token = settings.model_copy(update={"bot_token": None})
    assert await run_scheduler(Invocation(no_token, cli.clock, cli.sessionmaker)) == 2
