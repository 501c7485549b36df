"""/progress: a unit head reports monthly progress; /deadlines shows it; every refusal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Milestone, MilestoneReport, Unit
from tests.e2e.conftest import CADRE_TG, HEAD_TG, SUPERVISOR_TG, Harness
from ui.refusals import REFUSALS

LEDGERS = "完成挂包农户台账"  # due 2026-11-30, task for "all"
OCTOBER = "十月核实"  # due 2026-10-31, task for "all"
BALANCE = "均衡办任务"  # due 2026-12-15, for JHB and schools: not 教育股's


@pytest.fixture
async def head(harness: Harness) -> Harness:
    await harness.register(HEAD_TG, "H1")
    return harness


async def _milestone_id(harness: Harness, title_zh: str) -> int:
    async with harness.app.sessionmaker() as session:
        statement = select(Milestone.id).where(Milestone.title_zh == title_zh)
        return int((await session.execute(statement)).scalar_one())


async def _reports(harness: Harness) -> list[tuple[str, str, str, bool]]:
    """(unit code, month, text, done) of every stored report, oldest month first."""
    async with harness.app.sessionmaker() as session:
        statement = (
            select(Unit.code, MilestoneReport.month, MilestoneReport.text, MilestoneReport.done)
            .join(Unit, Unit.id == MilestoneReport.unit_id)
            .order_by(MilestoneReport.month, MilestoneReport.id)
        )
        return [tuple(row) for row in (await session.execute(statement)).all()]  # type: ignore[misc]


def _labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def _report(harness: Harness, title_zh: str, text: str, done: bool) -> dict[str, Any]:
    """Run the whole flow as the unit head; return the final (edited) confirmation."""
    user = harness.api.user(HEAD_TG, "head")
    [listing] = await harness.say(HEAD_TG, "/progress")
    button = next(
        b
        for row in listing["reply_markup"]["inline_keyboard"]
        for b in row
        if title_zh in b["text"]
    )
    user.press(listing, button["callback_data"])
    prompt = await harness.api.wait_for_edit(HEAD_TG, listing["message_id"])
    assert title_zh in prompt["text"]
    [question] = await harness.say(HEAD_TG, text)
    label = harness.zh("\u2705 Mark done") if done else harness.zh("Not yet")
    user.press_button(question, label)
    return await harness.api.wait_for_edit(HEAD_TG, question["message_id"])


async def test_progress_lists_only_my_units_open_milestones(head: Harness) -> None:
    [listing] = await head.say(HEAD_TG, "/progress")
    labels = _labels(listing)
    assert len(labels) == 2
    assert LEDGERS in labels[0] and labels[0].startswith("11月30日")
    assert OCTOBER in labels[1]
    assert all(BALANCE not in label for label in labels)
    assert "2026年11月" in listing["text"] and "教育股" in listing["text"]


async def test_report_is_saved_for_the_month_and_not_done(head: Harness) -> None:
    saved = await _report(head, LEDGERS, "已收集 30 户台账，整理中", done=False)
    assert "2026年11月" in saved["text"] and LEDGERS in saved["text"]
    assert head.zh("not done yet") in saved["text"]
    assert await _reports(head) == [("JYG", "2026-11", "已收集 30 户台账，整理中", False)]
    # Not done: still open, so still offered.
    [listing] = await head.say(HEAD_TG, "/progress")
    assert any(LEDGERS in label for label in _labels(listing))


async def test_second_report_in_the_same_month_replaces_and_done_closes(head: Harness) -> None:
    await _report(head, LEDGERS, "进行中", done=False)
    saved = await _report(head, LEDGERS, "全部台账已完成", done=True)
    assert (
        head.zh("This replaces your unit's earlier report for {month}.", month="2026年11月")
        in (saved["text"])
    )
    assert await _reports(head) == [("JYG", "2026-11", "全部台账已完成", True)]
    [listing] = await head.say(HEAD_TG, "/progress")
    labels = _labels(listing)
    assert all(LEDGERS not in label for label in labels)
    assert any(OCTOBER in label for label in labels)


async def test_earlier_months_stay_as_history(head: Harness) -> None:
    head.clock.set(datetime(2026, 10, 15, 2, 0, tzinfo=UTC))
    await _report(head, LEDGERS, "十月：开始收集", done=False)
    # 16:30 UTC on Nov 30 is already 00:30 on Dec 1 in Shanghai: the December report.
    head.clock.set(datetime(2026, 11, 30, 16, 30, tzinfo=UTC))
    await _report(head, LEDGERS, "十二月：补齐", done=False)
    assert await _reports(head) == [
        ("JYG", "2026-10", "十月：开始收集", False),
        ("JYG", "2026-12", "十二月：补齐", False),
    ]
    [reply] = await head.say(HEAD_TG, "/deadlines")
    assert "十二月：补齐" in reply["text"] and "十月：开始收集" not in reply["text"]


async def test_deadlines_show_my_units_latest_progress_and_done(head: Harness) -> None:
    await head.register(CADRE_TG, "C1")
    await _report(head, OCTOBER, "十月核实已完成", done=True)
    await _report(head, LEDGERS, "已收集一半", done=False)
    [reply] = await head.say(CADRE_TG, "/deadlines")
    lines = reply["text"].splitlines()
    ledgers = next(i for i, line in enumerate(lines) if LEDGERS in line)
    assert head.zh.plural("in {count} day", "in {count} days", 2) in lines[ledgers]
    assert lines[ledgers + 1].strip().startswith("\u21b3")
    assert "2026年11月" in lines[ledgers + 1] and "已收集一半" in lines[ledgers + 1]
    october = next(i for i, line in enumerate(lines) if OCTOBER in line)
    # Done for the unit: no longer flagged overdue, and listed after the open one.
    assert october > ledgers
    assert head.zh("done") in lines[october]
    assert (
        head.zh.plural(
            "\u26a0\ufe0f overdue by {count} day", "\u26a0\ufe0f overdue by {count} days", 28
        )
        not in lines[october]
    )
    assert "十月核实已完成" in lines[october + 1]


async def test_supervisor_sees_units_done_out_of_concerned(head: Harness) -> None:
    await head.register(SUPERVISOR_TG, "S1")
    await _report(head, OCTOBER, "完成", done=True)
    [reply] = await head.say(SUPERVISOR_TG, "/deadlines")
    lines = reply["text"].splitlines()
    october = next(i for i, line in enumerate(lines) if OCTOBER in line)
    # Three units are concerned by an "all" task; only 教育股 is done: still overdue.
    assert head.zh("units done: {done}/{total}", done=1, total=3) in lines[october]
    assert (
        head.zh.plural(
            "\u26a0\ufe0f overdue by {count} day", "\u26a0\ufe0f overdue by {count} days", 28
        )
        in lines[october]
    )
    assert "教育股" in lines[october + 1] and "完成" in lines[october + 1]


async def test_a_cadre_may_not_report_progress(head: Harness) -> None:
    await head.register(CADRE_TG, "C1")
    [reply] = await head.say(CADRE_TG, "/progress")
    assert reply["text"] == head.zh(REFUSALS["progress_unit_head_only"])
    # Nor by a forged button.
    ledgers = await _milestone_id(head, LEDGERS)
    update = head.api.user(CADRE_TG, "c").forge_callback(reply["message_id"], f"prm:{ledgers}")
    answer = await head.api.wait_for_callback_answer(update)
    assert answer["text"] == head.zh(REFUSALS["progress_unit_head_only"])[:200]
    assert await _reports(head) == []


async def test_forged_button_for_another_units_milestone_is_refused(head: Harness) -> None:
    [listing] = await head.say(HEAD_TG, "/progress")
    balance = await _milestone_id(head, BALANCE)
    user = head.api.user(HEAD_TG, "head")
    update = user.forge_callback(listing["message_id"], f"prm:{balance}")
    answer = await head.api.wait_for_callback_answer(update)
    assert answer["text"] == head.zh(REFUSALS["progress_not_your_milestone"])[:200]
    assert answer["show_alert"] is True
    # Also at the last step, with a forged "done" for it.
    update = user.forge_callback(listing["message_id"], f"prd:{balance}:1")
    answer = await head.api.wait_for_callback_answer(update)
    assert answer["text"] == head.zh(REFUSALS["stale_button"])[:200]
    assert await _reports(head) == []


@pytest.mark.parametrize("data", ["prd:{id}:1", "prm:999999", "prm:x"])
async def test_stale_buttons_are_refused(head: Harness, data: str) -> None:
    ledgers = await _milestone_id(head, LEDGERS)
    [listing] = await head.say(HEAD_TG, "/progress")
    update = head.api.user(HEAD_TG, "head").forge_callback(
        listing["message_id"], data.format(id=ledgers)
    )
    answer = await head.api.wait_for_callback_answer(update)
    assert answer["text"] == head.zh(REFUSALS["stale_button"])[:200]
    assert await _reports(head) == []


async def test_done_button_of_a_finished_report_is_stale(head: Harness) -> None:
    saved = await _report(head, LEDGERS, "完成", done=True)
    ledgers = await _milestone_id(head, LEDGERS)
    update = head.api.user(HEAD_TG, "head").forge_callback(saved["message_id"], f"prd:{ledgers}:0")
    answer = await head.api.wait_for_callback_answer(update)
    assert answer["text"] == head.zh(REFUSALS["stale_button"])[:200]
    assert await _reports(head) == [("JYG", "2026-11", "完成", True)]


async def test_oversized_text_is_refused_and_a_shorter_one_accepted(head: Harness) -> None:
    [listing] = await head.say(HEAD_TG, "/progress")
    user = head.api.user(HEAD_TG, "head")
    user.press(listing, listing["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    await head.api.wait_for_edit(HEAD_TG, listing["message_id"])
    [refusal] = await head.say(HEAD_TG, "很" * 1001)
    assert refusal["text"] == head.zh(REFUSALS["progress_too_long"], length=1001, limit=1000)
    [question] = await head.say(HEAD_TG, "很" * 1000)
    user.press_button(question, head.zh("Not yet"))
    await head.api.wait_for_edit(HEAD_TG, question["message_id"])
    [(_, _, text, done)] = await _reports(head)
    assert (len(text), done) == (1000, False)
