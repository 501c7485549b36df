"""/mystatus: what I still owe, the one-tap visit, and its place in the menu."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from storage.models import Household
from tests.e2e.conftest import CADRE_TG, HEAD_TG, NOW, STRANGER_TG, Harness
from ui.refusals import REFUSALS


def lines_of(text: str) -> list[str]:
    return text.splitlines()


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The one-tap visit buttons (village and ledger buttons are tested elsewhere)."""
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    return [
        b for row in markup["inline_keyboard"] for b in row if b["callback_data"].startswith("stv:")
    ]


def household_section(text: str) -> list[str]:
    """The lines of the households block (up to the blank line after it)."""
    blocks = text.split("\n\n")
    return next(b for b in blocks if "2026年第四季度" in b.splitlines()[0]).splitlines()


async def _household_id(harness: Harness, code: str) -> int:
    async with harness.app.sessionmaker() as session:
        statement = select(Household.id).where(Household.code == code)
        return int((await session.execute(statement)).scalar_one())


async def test_status_lists_unvisited_households_and_milestones_due_soon(
    harness: Harness,
) -> None:
    await harness.register(CADRE_TG, "C1")
    await harness.say(CADRE_TG, "/visit H001 2026-11-20")
    [status] = await harness.say(CADRE_TG, "/mystatus")
    text = status["text"]
    header = harness.zh("<b>What I still owe</b> \u2014 {date}", date="2026年11月28日")
    assert lines_of(text)[0] == header.replace("<b>", "").replace("</b>", "")
    owed_line = harness.zh(
        "<b>Households not visited in {quarter}</b>: {owed} of {total}",
        quarter="2026年第四季度",
        owed=3,
        total=4,
    )
    assert owed_line.replace("<b>", "").replace("</b>", "") in text
    owed = [line for line in household_section(text) if line.startswith("\u25cb")]
    assert [line.split()[1] for line in owed] == ["H002", "H003", "H004"]
    households = "\n".join(household_section(text))
    assert "H001" not in households  # visited this quarter
    assert "H005" not in text  # someone else's household, not even its ledger
    # The ledgers of the season (opened 2026-09-01) that are not complete yet.
    assert harness.zh("needs") in text
    assert harness.zh("never visited") in owed[0]
    # Milestones of 教育股 due within 14 days, or overdue: not the other unit's.
    assert (
        "完成挂包农户台账" in text
        and harness.zh.plural("in {count} day", "in {count} days", 2) in text
    )
    assert "十月核实" in text
    assert "均衡办任务" not in text
    assert [b["text"] for b in _buttons(status)] == [
        harness.zh("\u2705 Visited {code} {head} today", code=code, head=head)
        for code, head in (("H002", "户主2"), ("H003", "户主3"), ("H004", "户主4"))
    ]


async def test_one_tap_logs_a_visit_dated_today_in_shanghai(harness: Harness) -> None:
    # 17:00 UTC on Nov 28 is already 01:00 on Nov 29 in Shanghai.
    late = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)
    harness.clock.set(late)
    await harness.register(CADRE_TG, "C1")
    [status] = await harness.say(CADRE_TG, "/mystatus")
    user = harness.api.user(CADRE_TG, "c")
    label = harness.zh("\u2705 Visited {code} {head} today", code="H003", head="户主3")
    user.press_button(status, label)
    # The confirmation is the last message of the chat, below the (long) list, in sight.
    [confirmation] = await harness.api.wait_for_messages(CADRE_TG)
    assert harness.api.messages_to(CADRE_TG)[-1]["message_id"] == confirmation["message_id"]
    assert confirmation["text"] == harness.zh(
        "\u2705 Visit logged: {code} {head} on {date}. {quarter} is covered for this household.",
        code="H003",
        head="户主3",
        date="2026年11月29日",
        quarter="2026年第四季度",
    )
    # The list above is redrawn without the household's line and button.
    edited = harness.api.message(CADRE_TG, status["message_id"])
    assert edited["text"].startswith(harness.zh("What I still owe"))
    owed = [
        line.split()[1] for line in household_section(edited["text"]) if line.startswith("\u25cb")
    ]
    assert owed == ["H001", "H002", "H004"]
    assert len(_buttons(edited)) == 3
    assert all("H003" not in b["text"] for b in _buttons(edited))
    [visit] = await harness.visits()
    household = await _household_id(harness, "H003")
    assert (visit.household_id, visit.visit_date, visit.reported_at) == (
        household,
        date(2026, 11, 29),
        late,
    )


async def test_every_household_visited_is_said_so(harness: Harness) -> None:
    await harness.register(CADRE_TG, "C1")
    for code in ("H001", "H002", "H003", "H004"):
        await harness.say(CADRE_TG, f"/visit {code}")
    [status] = await harness.say(CADRE_TG, "/mystatus")
    assert harness.zh("Every household of yours is visited this quarter.") in status["text"]
    assert _buttons(status) == []


async def test_forged_visit_button_for_someone_elses_household(harness: Harness) -> None:
    await harness.register(CADRE_TG, "C1")
    [status] = await harness.say(CADRE_TG, "/mystatus")
    other = await _household_id(harness, "H005")
    update = harness.api.user(CADRE_TG, "c").forge_callback(status["message_id"], f"stv:{other}")
    answer = await harness.api.wait_for_callback_answer(update)
    assert answer["text"] == harness.zh(REFUSALS["household_not_yours"])[:200]
    assert await harness.visits() == []


async def test_a_second_tap_does_not_log_twice(harness: Harness) -> None:
    await harness.register(CADRE_TG, "C1")
    [status] = await harness.say(CADRE_TG, "/mystatus")
    data = _buttons(status)[0]["callback_data"]
    user = harness.api.user(CADRE_TG, "c")
    user.press(status, data)
    await harness.api.wait_for_messages(CADRE_TG)
    await harness.api.wait_for_edit(CADRE_TG, status["message_id"])
    # The same button again, on the list as first sent (stale now): a toast says why, and no
    # old message is edited, no new one sent.
    update = user.forge_callback(status["message_id"], data)
    answer = await harness.api.wait_for_callback_answer(update)
    assert answer["text"] == harness.zh(
        "This visit was already logged: {code} {head} on {date}. Nothing changed.",
        code="H001",
        head="户主1",
        date="2026年11月28日",
    )
    assert not answer.get("show_alert")
    await harness.api.wait_idle()
    assert len(harness.api.versions(CADRE_TG, status["message_id"])) == 2
    assert harness.api.unread(CADRE_TG) == []
    assert len(await harness.visits()) == 1
    assert (await harness.visits())[0].reported_at == NOW


async def test_done_milestone_is_no_longer_owed(harness: Harness) -> None:
    await harness.register(CADRE_TG, "C1")
    await harness.register(HEAD_TG, "H1")
    [listing] = await harness.say(HEAD_TG, "/progress")
    user = harness.api.user(HEAD_TG, "h")
    user.press(listing, listing["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    await harness.api.wait_for_edit(HEAD_TG, listing["message_id"])
    [question] = await harness.say(HEAD_TG, "台账全部完成")
    user.press_button(question, harness.zh("\u2705 Mark done"))
    await harness.api.wait_for_edit(HEAD_TG, question["message_id"])
    [status] = await harness.say(CADRE_TG, "/mystatus")
    assert "完成挂包农户台账" not in status["text"]
    assert "十月核实" in status["text"]


async def test_mystatus_is_first_in_the_menu_and_the_menu_button_shows_commands(
    harness: Harness,
) -> None:
    await harness.say(STRANGER_TG, "hi")  # the bot is polling, so start-up is done
    for language in ("", "zh", "en"):
        commands = harness.api.commands(None, language)
        assert commands is not None and commands[0]["command"] == "mystatus"
    english = harness.api.commands(None, "en")
    assert english is not None and english[0]["description"] == "What I still owe"
    [call] = harness.api.calls_of("setChatMenuButton")
    assert "chat_id" not in call.params  # the bot's default button, for every chat
    assert call.params["menu_button"] == {"type": "commands"}
