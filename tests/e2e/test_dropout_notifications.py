"""Dropout-case notifications go through the outbox: written with the case change, delivered
by the one sender exactly once across a stop and restart, a blocked school member marked
unreachable while the reporter is still told, and sent silently during quiet hours."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from domain.reminders import CASE_EVENT, HOUSEHOLD_VISIT, QuietHours
from reminders.rules import RuleContext
from reminders.sender import STUCK_AFTER, Sender, SenderSettings
from storage.models import Cadre, DropoutCase, OutboxMessage
from tests.e2e.conftest import CADRE_TG, NOW, SUPERVISOR_TG, Harness, running_bot
from tests.e2e.db_reads import outbox_rows, settled, until
from ui.actions import CaseOpen, CaseStep

SCHOOL_TG = 1005
# 22:30 in Shanghai on 2026-11-28: within the default quiet hours (21:00-08:00).
LATE_EVENING = datetime(2026, 11, 28, 14, 30, tzinfo=UTC)


@pytest.fixture
async def county(tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot without its own sender (CADREBOT_SCHEDULER=off): tests run the sender."""
    async with running_bot(
        f"sqlite+aiosqlite:///{tmp_path}/e2e.sqlite3", CADREBOT_SCHEDULER="off"
    ) as harness:
        await harness.register(CADRE_TG, "C1")
        await harness.register(SCHOOL_TG, "C3")
        await harness.register(SUPERVISOR_TG, "S1")
        yield harness


def _sender(h: Harness, **options: Any) -> Sender:
    settings = h.app.settings
    context = RuleContext(settings.tz, h.app.catalogs, settings.ledger_season_opens_month_day)
    defaults: dict[str, Any] = {"rate": None, "per_chat_interval": 0.0, "idle_poll": 0.02}
    return Sender(
        h.app.bot, h.app.sessionmaker, h.clock, context, SenderSettings(**defaults | options)
    )


async def _case_ids(h: Harness) -> list[int]:
    async with h.app.sessionmaker() as session:
        return list(
            (await session.execute(select(DropoutCase.id).order_by(DropoutCase.id))).scalars()
        )


def _received(h: Harness, chat_id: int) -> list[dict[str, Any]]:
    return h.api.messages_to(chat_id)[1:]  # after the registration reply


def _headline(text: str) -> str:
    """A notification's first line names the case and the change (and has no markup)."""
    return text.split("\n", 1)[0]


def _notifications(h: Harness, chat_id: int, rows: list[OutboxMessage]) -> list[dict[str, Any]]:
    """The chat's messages that came from the outbox (not the bot's replies to the user)."""
    headlines = {_headline(r.text) for r in rows}
    return [m for m in _received(h, chat_id) if _headline(m["text"]) in headlines]


def _last_send(h: Harness, chat_id: int) -> dict[str, Any]:
    """The parameters of the bot's last sendMessage to the chat."""
    calls = [c for c in h.api.calls_of("sendMessage") if c.params.get("chat_id") == chat_id]
    return calls[-1].params


async def _supervisor_acknowledges(h: Harness, case_id: int) -> None:
    supervisor = h.api.get_user(SUPERVISOR_TG)
    [listing] = await h.say(SUPERVISOR_TG, "/cases")
    supervisor.press(listing, CaseOpen(case_id=case_id).pack())
    [view] = await h.api.wait_for_messages(SUPERVISOR_TG)
    supervisor.press(view, CaseStep(case_id=case_id, step="acknowledge", seen=1).pack())
    await h.api.wait_for_messages(SUPERVISOR_TG)


async def test_each_notification_arrives_once_across_a_stopped_sender(county: Harness) -> None:
    h = county
    for line in ("H001 小明 贫困", "H001 小红 work", "H002 小华", "H002 小丽 marriage"):
        await h.say(CADRE_TG, f"/dropout {line}")
    await _supervisor_acknowledges(h, (await _case_ids(h))[0])
    rows = await outbox_rows(h)
    # Four reports tell the school; the acknowledgement tells the school and the reporter.
    assert Counter(r.chat_id for r in rows) == Counter({SCHOOL_TG: 5, CADRE_TG: 1})
    assert {r.rule for r in rows} == {CASE_EVENT} and {r.state for r in rows} == {"pending"}
    assert _received(h, SCHOOL_TG) == []  # nothing is sent outside the outbox

    chats = (SCHOOL_TG, CADRE_TG)
    first = _sender(h, per_chat_interval=0.2)
    task = asyncio.create_task(first.run())
    await h.api.wait_for_messages(SCHOOL_TG, count=2)
    task.cancel()  # stopped mid-batch, as a process shutting down
    with contextlib.suppress(asyncio.CancelledError):
        await task

    async def marks_done() -> bool:
        sent = [r for r in await outbox_rows(h) if r.state == "sent"]
        return len(sent) == sum(len(_notifications(h, chat, rows)) for chat in chats)

    await until(marks_done, "the sends in flight to be marked")
    assert "sending" in {r.state for r in await outbox_rows(h)}  # some were left mid-batch

    # The next sender (after the stuck time) takes up what the first left.
    h.clock.set(NOW + STUCK_AFTER + timedelta(seconds=1))
    second = _sender(h)
    task = asyncio.create_task(second.run())
    try:
        await until(lambda: settled(h), "every notification to be delivered")
    finally:
        second.stop()
        await asyncio.wait_for(task, timeout=5)
    assert {r.state for r in await outbox_rows(h)} == {"sent"}
    for chat_id in chats:
        got = Counter(_headline(m["text"]) for m in _notifications(h, chat_id, rows))
        assert got == Counter(_headline(r.text) for r in rows if r.chat_id == chat_id)  # once
    assert len(_received(h, SCHOOL_TG)) == 5  # and nothing else


async def test_a_school_member_who_blocked_the_bot_is_marked_and_the_reporter_told(
    county: Harness,
) -> None:
    h = county
    sender = _sender(h)
    task = asyncio.create_task(sender.run())
    try:
        await h.say(CADRE_TG, "/dropout H001 小明 贫困")
        [notice] = await h.api.wait_for_messages(SCHOOL_TG)
        [case_id] = await _case_ids(h)
        assert notice["text"].startswith("\U0001f4e3")
        # Telegram answers 403 for the school: blocked, before the bot heard of it.
        h.api.fail_next(
            "sendMessage", 403, chat_id=SCHOOL_TG, description="Forbidden: bot was blocked"
        )
        await _supervisor_acknowledges(h, case_id)
        [told] = await h.api.wait_for_messages(CADRE_TG)
        assert f"#{case_id}" in told["text"] and "刘洋" in told["text"]
        await until(lambda: settled(h), "the school's notification to be settled")
    finally:
        sender.stop()
        await asyncio.wait_for(task, timeout=5)
    async with h.app.sessionmaker() as session:
        school = (await session.execute(select(Cadre).where(Cadre.code == "C3"))).scalar_one()
    assert school.unreachable_at is not None
    states = {(r.chat_id, r.occurrence): r.state for r in await outbox_rows(h)}
    assert sorted(states.values()) == ["sent", "sent", "unreachable"]
    assert len(_received(h, SCHOOL_TG)) == 1  # the report's notice only


async def test_in_quiet_hours_case_notifications_go_silently_and_reminders_wait(
    county: Harness,
) -> None:
    h = county
    h.clock.set(LATE_EVENING)
    await h.say(CADRE_TG, "/dropout H001 小明 贫困")
    async with h.app.sessionmaker() as session, session.begin():
        c1 = (await session.execute(select(Cadre.id).where(Cadre.code == "C1"))).scalar_one()
        session.add(
            OutboxMessage(
                cadre_id=c1,
                chat_id=CADRE_TG,
                rule=HOUSEHOLD_VISIT,
                period="2026-Q4",
                occurrence="2026-11-28",
                text="visit your households",
                buttons="[]",
                state="pending",
                attempts=0,
                not_before=LATE_EVENING,
                created_at=LATE_EVENING,
            )
        )
    sender = _sender(h, quiet=QuietHours())
    assert await sender.run_once() == 1
    [notice] = await h.api.wait_for_messages(SCHOOL_TG)
    assert notice["text"].startswith("\U0001f4e3")
    assert _last_send(h, SCHOOL_TG).get("disable_notification") is True
    held = {r.rule: r.state for r in await outbox_rows(h)}
    assert held == {CASE_EVENT: "sent", HOUSEHOLD_VISIT: "pending"}

    h.clock.set(datetime(2026, 11, 29, 0, 0, tzinfo=UTC))  # 08:00: the quiet hours are over
    assert await sender.run_once() == 1
    [reminder] = await h.api.wait_for_messages(CADRE_TG)
    assert reminder["text"] == "visit your households"
    [call] = [c for c in h.api.calls_of("sendMessage") if c.params.get("chat_id") == CADRE_TG][-1:]
    assert "disable_notification" not in call.params
