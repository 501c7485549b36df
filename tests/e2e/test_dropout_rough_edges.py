"""Issue 11's rough edges of /dropout and /cases: only a possible school child is reported,
steps that cannot be undone are confirmed first, one live card per case, notifications that
say who did what on which child, Chinese punctuation and dates."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from storage.models import DropoutCase, LedgerChange, Member
from tests.e2e.buttons import button_for
from tests.e2e.conftest import CADRE_TG, SUPERVISOR_TG, Harness
from tests.e2e.db_reads import member_named, rows_of
from ui.actions import (
    CaseConfirm,
    CaseOpen,
    CaseStep,
    DropoutChild,
    DropoutConfirm,
    DropoutHousehold,
    DropoutNewChild,
    DropoutReason,
    DropoutSince,
    DropoutSkip,
)
from ui.refusals import REFUSALS

SCHOOL_TG = 1005


@pytest.fixture
async def county(harness: Harness) -> Harness:
    """H001 (C1's) has 小明 (born 2013), his father 大明 (born 1979) and 小红 (no birth date)."""
    ids = await harness.household_ids()
    async with harness.app.sessionmaker() as session, session.begin():
        session.add_all(
            [
                Member(
                    household_id=ids["H001"],
                    name="小明",
                    birth_date=date(2013, 3, 1),
                    status="enrolled",
                    school="栋川中学",
                ),
                Member(household_id=ids["H001"], name="大明", birth_date=date(1979, 5, 5)),
                Member(household_id=ids["H001"], name="小红"),
            ]
        )
    await harness.register_all({CADRE_TG: "C1", SCHOOL_TG: "C3", SUPERVISOR_TG: "S1"})
    return harness


def _buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


def _labels(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def _adult_refusal(h: Harness) -> str:
    return h.zh(
        REFUSALS["dropout_not_school_child"], name="大明", year=1979, age=47, low=6, high=17
    )


async def _new_child(h: Harness, name: str) -> dict[str, Any]:
    """/dropout, H001, "add a child", and the name typed: the bot's answer to the name."""
    user = h.api.get_user(CADRE_TG)
    household_id = (await h.household_ids())["H001"]
    [pick] = await h.say(CADRE_TG, "/dropout")
    user.press(pick, button_for(pick, DropoutHousehold, household_id=household_id))
    children = await h.api.wait_for_edit(CADRE_TG, pick["message_id"])
    user.press(children, button_for(children, DropoutNewChild))
    await h.api.wait_for_edit(CADRE_TG, pick["message_id"])
    [answer] = await h.say(CADRE_TG, name)
    return answer


async def _finish(h: Harness, reasons: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """From the reason picker: work, since today, no note, reported. (confirm card, reply)"""
    user = h.api.get_user(CADRE_TG)
    user.press(reasons, button_for(reasons, DropoutReason, reason="work"))
    since = await h.api.wait_for_edit(CADRE_TG, reasons["message_id"])
    user.press(since, button_for(since, DropoutSince, typed=0))
    [note] = await h.api.wait_for_messages(CADRE_TG)
    user.press(note, button_for(note, DropoutSkip, what="note"))
    confirm = await h.api.wait_for_edit(CADRE_TG, note["message_id"])
    user.press(confirm, button_for(confirm, DropoutConfirm, ok=1))
    [reply] = await h.api.wait_for_messages(CADRE_TG)
    return confirm, reply


async def test_an_adult_is_not_reported_by_any_path(county: Harness) -> None:
    h = county
    # One line.
    [no] = await h.say(CADRE_TG, "/dropout H001 大明 务工")
    assert no["text"] == _adult_refusal(h)
    assert "（规则：辍学个案只针对学龄儿童。）" in no["text"]
    # "Add a child" with the adult's name.
    assert (await _new_child(h, "大明"))["text"] == _adult_refusal(h)
    # A new child whose typed birth date makes an adult.
    [no_birth] = await h.say(CADRE_TG, "大军")
    assert "大军" in no_birth["text"]
    [too_old] = await h.say(CADRE_TG, "1990-01-01")
    assert too_old["text"] == h.zh(
        REFUSALS["dropout_not_school_child"], name="大军", year=1990, age=36, low=6, high=17
    )
    # A forged "pick this child" on the adult.
    ids = {m.name: m.id for m in await rows_of(h, Member)}
    update = h.api.get_user(CADRE_TG).forge_callback(
        no["message_id"], DropoutChild(member_id=ids["大明"]).pack()
    )
    answer = await h.api.wait_for_callback_answer(update)
    assert answer["text"] == _adult_refusal(h)[:200]
    assert await rows_of(h, DropoutCase) == []
    assert (await member_named(h, "大明")).status is None
    assert [m.name for m in await rows_of(h, Member)].count("大军") == 0


async def test_the_child_picker_and_the_confirmation_read_naturally(county: Harness) -> None:
    h = county
    user = h.api.get_user(CADRE_TG)
    household_id = (await h.household_ids())["H001"]
    [pick] = await h.say(CADRE_TG, "/dropout")
    user.press(pick, button_for(pick, DropoutHousehold, household_id=household_id))
    children = await h.api.wait_for_edit(CADRE_TG, pick["message_id"])
    assert _labels(children) == ["小明（2013年生）", "小红", "➕ 添加孩子"]
    ids = {m.name: m.id for m in await rows_of(h, Member)}
    user.press(children, button_for(children, DropoutChild, member_id=ids["小明"]))
    reasons = await h.api.wait_for_edit(CADRE_TG, pick["message_id"])
    confirm, _reply = await _finish(h, reasons)
    assert confirm["text"] == "确认上报：H001 户的小明，自2026年11月28日起未上学，原因：务工。"


async def test_add_a_child_fills_an_empty_birth_date_and_keeps_a_recorded_one(
    county: Harness,
) -> None:
    h = county
    # 小红 is on the roster without a birth date: the typed one fills it, and it is said.
    await _new_child(h, "小红")
    [reasons] = await h.say(CADRE_TG, "2014-03-05")
    _confirm, reply = await _finish(h, reasons)
    assert "已将小红的出生日期2014年3月5日记入台账。" in reply["text"]
    assert (await member_named(h, "小红")).birth_date == date(2014, 3, 5)
    changes = [(c.field, c.new_value) for c in await rows_of(h, LedgerChange)]
    assert ("birth_date", "2014-03-05") in changes
    # 小明 is on the roster as born 2013-03-01: that stays, and the reply says so.
    await _new_child(h, "小明")
    [reasons] = await h.say(CADRE_TG, "2014-03-05")
    _confirm, reply = await _finish(h, reasons)
    assert (
        "花名册上小明的出生日期为2013年3月1日，已保留该日期（您输入的是2014年3月5日）。"
        in reply["text"]
    )
    assert (await member_named(h, "小明")).birth_date == date(2013, 3, 1)
    assert len(await rows_of(h, DropoutCase)) == 2


async def _reported(h: Harness) -> tuple[int, dict[str, Any]]:
    await h.say(CADRE_TG, "/dropout H001 小明 贫困")
    [case] = await rows_of(h, DropoutCase)
    [notice] = await h.api.wait_for_messages(SCHOOL_TG)
    return case.id, notice


async def _state(h: Harness) -> str:
    [case] = await rows_of(h, DropoutCase)
    return case.state


async def test_steps_that_cannot_be_undone_are_confirmed_and_old_cards_go_quiet(
    county: Harness,
) -> None:
    h = county
    school = h.api.get_user(SCHOOL_TG)
    case_id, notice = await _reported(h)
    school.press(notice, button_for(notice, CaseStep, step="acknowledge"))
    [card] = await h.api.wait_for_messages(SCHOOL_TG)
    # The card drawn below replaces the one tapped: it has no buttons any more.
    assert _buttons(await h.api.wait_for_edit(SCHOOL_TG, notice["message_id"])) == []
    [told] = await h.api.wait_for_messages(CADRE_TG)
    assert told["text"].startswith("🔔 辍学个案 #1（小明，H001）：栋川中心校 赵强 记录了“已接收”。")

    # "Confirmed dropout" asks first; cancelled, nothing changes and the card stays live.
    school.press(card, button_for(card, CaseStep, step="confirm"))
    [really] = await h.api.wait_for_messages(SCHOOL_TG)
    assert really["text"].startswith("确认将辍学个案 #1（小明）核实为：确认辍学？")
    assert _labels(really) == ["✅ 确认", "取消"]
    school.press(really, button_for(really, CaseConfirm, ok=0))
    cancelled = await h.api.wait_for_edit(SCHOOL_TG, really["message_id"])
    assert cancelled["text"] == h.zh("Cancelled; case #{case} was not changed.", case=case_id)
    assert await _state(h) == "acknowledged" and h.api.unread(CADRE_TG) == []
    school.press(card, button_for(card, CaseStep, step="confirm"))
    [really] = await h.api.wait_for_messages(SCHOOL_TG)
    school.press(really, button_for(really, CaseConfirm, ok=1))
    [card2] = await h.api.wait_for_messages(SCHOOL_TG)
    assert await _state(h) == "confirmed"
    assert _buttons(await h.api.wait_for_edit(SCHOOL_TG, card["message_id"])) == []
    assert _buttons(await h.api.wait_for_edit(SCHOOL_TG, really["message_id"])) == []
    await h.api.wait_for_messages(CADRE_TG)

    # A persuasion attempt: its note makes a new card, and the older one goes quiet.
    school.press(card2, button_for(card2, CaseStep, step="persuade"))
    await h.api.wait_for_messages(SCHOOL_TG)
    [card3] = await h.say(SCHOOL_TG, "校长与家长面谈")
    assert _buttons(await h.api.wait_for_edit(SCHOOL_TG, card2["message_id"])) == []
    [told] = await h.api.wait_for_messages(CADRE_TG)
    assert told["text"].startswith(
        "🔔 辍学个案 #1（小明，H001）：栋川中心校 赵强 记录了一次劝返：校长与家长面谈"
    )
    # "Returned" from the older card (an old client still shows it): stale, a toast.
    stale = CaseStep(case_id=case_id, step="returned", seen=3).pack()
    update = school.forge_callback(card2["message_id"], stale)
    answer = await h.api.wait_for_callback_answer(update)
    assert answer["text"] == h.zh(REFUSALS["stale_button"])[:200]
    assert not answer.get("show_alert")
    assert await _state(h) == "confirmed"

    # "Returned" from the live card: confirmed, then the case is closed.
    school.press(card3, button_for(card3, CaseStep, step="returned"))
    [really] = await h.api.wait_for_messages(SCHOOL_TG)
    assert really["text"].startswith("确认将辍学个案 #1（小明）结案为：已返校？")
    assert await _state(h) == "confirmed"
    school.press(really, button_for(really, CaseConfirm, ok=1))
    await h.api.wait_for_messages(SCHOOL_TG)
    assert await _state(h) == "closed"
    [told] = await h.api.wait_for_messages(CADRE_TG)
    assert told["text"].startswith(
        "🔔 辍学个案 #1（小明，H001）：栋川中心校 赵强 记录了“已返校”，个案已结案。"
    )


async def test_a_closing_with_a_typed_answer_is_confirmed_after_it(county: Harness) -> None:
    h = county
    school = h.api.get_user(SCHOOL_TG)
    _case_id, notice = await _reported(h)
    current = notice
    for step in ("acknowledge", "confirm"):
        school.press(current, button_for(current, CaseStep, step=step))
        [current] = await h.api.wait_for_messages(SCHOOL_TG)
        if step == "confirm":
            school.press(current, button_for(current, CaseConfirm, ok=1))
            [current] = await h.api.wait_for_messages(SCHOOL_TG)
    await h.api.wait_for_messages(CADRE_TG, count=2)
    school.press(current, button_for(current, CaseStep, step="transferred"))
    await h.api.wait_for_messages(SCHOOL_TG)
    [really] = await h.say(SCHOOL_TG, "光禄中学")
    assert really["text"].startswith("确认将辍学个案 #1（小明）结案为：已转学？\n备注：光禄中学")
    assert await _state(h) == "confirmed"
    school.press(really, button_for(really, CaseConfirm, ok=1))
    await h.api.wait_for_messages(SCHOOL_TG)
    [told] = await h.api.wait_for_messages(CADRE_TG)
    assert told["text"].startswith(
        "🔔 辍学个案 #1（小明，H001）：栋川中心校 赵强 记录了“已转学”（光禄中学），个案已结案。"
    )
    assert (await member_named(h, "小明")).school == "光禄中学"


async def test_notifications_in_english_say_who_did_what_on_which_child(
    county: Harness,
) -> None:
    h = county
    await h.say(CADRE_TG, "/lang en")
    _case_id, notice = await _reported(h)
    h.api.get_user(SCHOOL_TG).press(notice, button_for(notice, CaseStep, step="acknowledge"))
    await h.api.wait_for_messages(SCHOOL_TG)
    [told] = await h.api.wait_for_messages(CADRE_TG)
    assert told["text"].startswith(
        "🔔 Dropout case #1 (小明, H001): 赵强 of 栋川中心校 recorded “acknowledged”."
    )


async def test_cases_and_history_read_in_each_language(county: Harness) -> None:
    h = county
    case_id, _notice = await _reported(h)
    await h.say(CADRE_TG, "/dropout H001 小明 务工")  # a second report, in the history
    await h.api.wait_for_messages(SCHOOL_TG)  # the school is told of it
    [listing] = await h.say(SCHOOL_TG, "/cases")
    assert "#1 小明（H001，大村）：已上报，等待学校接收；期限：2026年12月1日" in listing["text"]
    h.api.get_user(SCHOOL_TG).press(listing, CaseOpen(case_id=case_id).pack())
    [card] = await h.api.wait_for_messages(SCHOOL_TG)
    assert "• 2026年11月28日 10:00 已上报 — 李明" in card["text"]
    assert (
        "• 2026年11月28日 10:00 再次上报 — 李明：原因：务工；自2026年11月28日起未上学。"
        in card["text"]
    )

    await h.say(SUPERVISOR_TG, "/lang en")
    [listing] = await h.say(SUPERVISOR_TG, "/cases")
    assert (
        "#1 小明 (H001, 大村): reported, waiting for the school to acknowledge; "
        "due by 2026-12-01" in listing["text"]
    )
    h.api.get_user(SUPERVISOR_TG).press(listing, CaseOpen(case_id=case_id).pack())
    [card] = await h.api.wait_for_messages(SUPERVISOR_TG)
    assert "• 2026-11-28 10:00 reported — 李明" in card["text"]
    assert "reported again — 李明: Reason: work; out of school since 2026-11-28." in card["text"]
