"""/dropout and /cases through the real Dispatcher: report, every closing, refusals, notices
(delivered by the bot's own outbox sender; see test_dropout_notifications for its failures)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.dropouts import CONFIRM_FIRST, NEEDS_TEXT
from storage.models import Cadre, DropoutCase, DropoutEvent, LedgerChange, Member
from tests.e2e.buttons import button_for
from tests.e2e.conftest import CADRE_TG, OTHER_CADRE_TG, SUPERVISOR_TG, Harness
from tests.e2e.db_reads import member_named, outbox_rows, rows_of, settled, until
from ui.actions import (
    CaseConfirm,
    CaseOpen,
    CaseStep,
    DropoutChild,
    DropoutConfirm,
    DropoutFromLedger,
    DropoutHousehold,
    DropoutNewChild,
    DropoutReason,
    DropoutSince,
    DropoutSkip,
    LedgerMember,
    LedgerStatus,
)
from ui.refusals import REFUSALS

SCHOOL_TG = 1005


@pytest.fixture
async def county(harness: Harness) -> Harness:
    """C1 (H001 with child 小明, T1) reports; C3 of central school CS1 (T1) acts; S1 supervises."""
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
                Member(household_id=ids["H005"], name="小刚", birth_date=date(2014, 1, 1)),
            ]
        )
    await harness.register_all(
        {CADRE_TG: "C1", SCHOOL_TG: "C3", SUPERVISOR_TG: "S1", OTHER_CADRE_TG: "C2"}
    )
    return harness


def _buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def _report(h: Harness, line: str = "/dropout H001 小明 贫困") -> tuple[int, dict[str, Any]]:
    """Report by one line; return the case id and the school's notification."""
    [reply] = await h.say(CADRE_TG, line)
    [case] = await rows_of(h, DropoutCase)
    assert f"#{case.id}" in reply["text"]
    [notice] = await h.api.wait_for_messages(SCHOOL_TG)
    return case.id, notice


async def _press(h: Harness, user_id: int, message: dict[str, Any], data: str) -> None:
    h.api.user(user_id, f"user{user_id}").press(message, data)


async def _cases_list(h: Harness, entry: str, seen_by: tuple[int, ...], not_by: int) -> None:
    """`entry` is in the /cases of each of `seen_by`; `not_by` has no open case to see."""
    for user_id in seen_by:
        [listing] = await h.say(user_id, "/cases")
        assert entry in listing["text"]
    [none] = await h.say(not_by, "/cases")
    assert none["text"] == h.zh("No open dropout cases that concern you.")


CLOSINGS = [
    ("not_a_dropout", None, "enrolled"),
    ("returned", None, "enrolled"),
    ("transferred", "光禄中学", "enrolled"),
    ("exempted", "重病住院", "exempted"),
    ("still_out", "外出务工，劝返未果", "dropout"),
]


@pytest.mark.parametrize(("closing", "answer", "status"), CLOSINGS)
async def test_case_walks_from_report_to_each_closing(
    county: Harness, closing: str, answer: str | None, status: str
) -> None:
    h = county
    case_id, notice = await _report(h)
    assert notice["text"].startswith(
        h.zh(
            "\U0001f4e3 New dropout case #{case} ({child}, {code}) reported by {who}: "
            "please acknowledge it.",
            case=case_id,
            child="小明",
            code="H001",
            who=h.zh("{unit} {name}", unit="教育股", name="李明"),
        )
    )
    assert _buttons(notice) == [CaseStep(case_id=case_id, step="acknowledge", seen=1).pack()]
    assert (await member_named(h, "小明")).status == "suspected_dropout"

    steps = ["acknowledge"] + (
        [closing] if closing == "not_a_dropout" else ["confirm", "persuade", closing]
    )
    current = notice
    told = 0
    for step in steps:
        await _press(h, SCHOOL_TG, current, button_for(current, CaseStep, step=step))
        if step in NEEDS_TEXT:
            [prompt] = await h.api.wait_for_messages(SCHOOL_TG)
            assert f"#{case_id}" in prompt["text"]
            typed = "2026-11-27 校长与家长面谈" if step == "persuade" else answer
            assert typed is not None
            [current] = await h.say(SCHOOL_TG, typed)
        else:
            [current] = await h.api.wait_for_messages(SCHOOL_TG)
        if step in CONFIRM_FIRST:
            # Only the confirmation acts.
            assert not h.api.unread(CADRE_TG)
            await _press(h, SCHOOL_TG, current, button_for(current, CaseConfirm, ok=1))
            [current] = await h.api.wait_for_messages(SCHOOL_TG)
        assert current["text"].startswith(h.zh("\u2705 Saved."))
        # The reporter is told of every change.
        [told_message] = await h.api.wait_for_messages(CADRE_TG)
        told += 1
        assert f"#{case_id}" in told_message["text"]
        assert not _buttons(told_message)

    [case] = await rows_of(h, DropoutCase)
    assert (case.state, case.closing) == ("closed", closing)
    assert case.closed_at is not None
    events = await rows_of(h, DropoutEvent)
    assert [e.kind for e in events] == ["report", *steps]
    if closing != "not_a_dropout":
        persuade = next(e for e in events if e.kind == "persuade")
        assert persuade.on_date == date(2026, 11, 27)
        assert persuade.note == "校长与家长面谈"
    member = await member_named(h, "小明")
    assert member.status == status
    if closing == "transferred":
        assert member.school == "光禄中学"
    history = [(c.field, c.new_value) for c in await rows_of(h, LedgerChange)]
    assert history[0] == ("status", "suspected_dropout")
    assert history[-1][0] in ("status", "school")
    assert told == len(steps)
    assert h.zh("State: <b>{state}</b>", state="x").split("<b>")[0] in told_message["text"]


async def test_second_report_adds_to_the_open_case_and_redelivery_adds_nothing(
    county: Harness,
) -> None:
    h = county
    case_id, _ = await _report(h)
    update = h.api.user(CADRE_TG, "c1").send_text("/dropout H001 小明 work")
    [again] = await h.api.wait_for_messages(CADRE_TG)
    assert (
        h.zh(
            "\u2139 {child} already has an open case #{case}; your report was added to it.",
            child="小明",
            case=case_id,
        )
        in again["text"]
    )
    assert len(await rows_of(h, DropoutCase)) == 1
    assert [e.kind for e in await rows_of(h, DropoutEvent)] == ["report", "rereport"]
    [told] = await h.api.wait_for_messages(SCHOOL_TG)
    assert f"#{case_id}" in told["text"]

    h.api.redeliver(update)
    [duplicate] = await h.api.wait_for_messages(CADRE_TG)
    assert duplicate["text"].startswith(h.zh("This was already recorded; nothing was added."))
    assert len(await rows_of(h, DropoutEvent)) == 2


async def test_forged_buttons_and_other_peoples_cases_are_refused(county: Harness) -> None:
    h = county
    case_id, notice = await _report(h)

    async def refused(user_id: int, data: str, code: str) -> None:
        update = h.api.user(user_id, f"user{user_id}").forge_callback(notice["message_id"], data)
        answer = await h.api.wait_for_callback_answer(update)
        assert answer["text"] == h.zh(REFUSALS[code], case=case_id)[:200]

    ack = CaseStep(case_id=case_id, step="acknowledge", seen=1).pack()
    # Another cadre cannot see the case; the reporter cannot take the school's steps.
    await refused(OTHER_CADRE_TG, ack, "dropout_case_hidden")
    await refused(CADRE_TG, ack, "dropout_school_only")
    # The school cannot skip a step, nor act on a case id that is not there.
    await refused(
        SCHOOL_TG,
        CaseStep(case_id=case_id, step="returned", seen=1).pack(),
        "dropout_step_not_now",
    )
    update = h.api.user(SCHOOL_TG, "c3").forge_callback(
        notice["message_id"], CaseStep(case_id=case_id + 1, step="acknowledge", seen=1).pack()
    )
    answer = await h.api.wait_for_callback_answer(update)
    assert answer["text"] == h.zh(REFUSALS["dropout_case_hidden"], case=case_id + 1)[:200]
    [case] = await rows_of(h, DropoutCase)
    assert case.state == "reported"
    assert len(await rows_of(h, DropoutEvent)) == 1

    # A supervisor may act; pressing the same step twice is refused the second time.
    [listing] = await h.say(SUPERVISOR_TG, "/cases")
    await _press(h, SUPERVISOR_TG, listing, CaseOpen(case_id=case_id).pack())
    [view] = await h.api.wait_for_messages(SUPERVISOR_TG)
    assert _buttons(view) == [ack]
    await _press(h, SUPERVISOR_TG, view, ack)
    [done] = await h.api.wait_for_messages(SUPERVISOR_TG)
    assert done["text"].startswith(h.zh("\u2705 Saved."))
    [told] = await h.api.wait_for_messages(CADRE_TG)
    assert "刘洋" in told["text"]
    [school_told] = await h.api.wait_for_messages(SCHOOL_TG)
    assert CaseStep(case_id=case_id, step="confirm", seen=2).pack() in _buttons(school_told)
    # The school's first notice is older than the case's last change: stale, a toast.
    update = h.api.get_user(SCHOOL_TG).press(notice, ack)
    answer = await h.api.wait_for_callback_answer(update)
    assert answer["text"] == h.zh(REFUSALS["stale_button"])[:200]
    assert not answer.get("show_alert")
    assert [e.kind for e in await rows_of(h, DropoutEvent)] == ["report", "acknowledge"]

    # Someone else's household cannot be reported.
    [no] = await h.say(OTHER_CADRE_TG, "/dropout H001 小明")
    assert no["text"] == h.zh(REFUSALS["not_your_household"], code="H001")
    [bad] = await h.say(CADRE_TG, "/dropout H001 小明 lazy")
    assert bad["text"] == h.zh(REFUSALS["dropout_bad_reason"], text="lazy")
    assert len(await rows_of(h, DropoutCase)) == 1


async def test_cases_lists_what_i_can_act_on(county: Harness) -> None:
    h = county
    case_id, _ = await _report(h)
    await _cases_list(h, f"#{case_id} 小明", (SCHOOL_TG, SUPERVISOR_TG, CADRE_TG), OTHER_CADRE_TG)


async def test_guided_report_in_english_with_a_new_child(harness: Harness) -> None:
    h = harness
    await h.register(CADRE_TG, "C1", language="en")
    await h.register(SCHOOL_TG, "C3", language="en")
    # Notices follow the recipient's saved language (Telegram's is not known to a sender).
    await h.say(SCHOOL_TG, "/lang en")
    ids = await h.household_ids()
    user = h.api.get_user(CADRE_TG)
    [pick] = await h.say(CADRE_TG, "/dropout")
    assert pick["text"] == h.en("Report a child out of school. Which household?")
    user.press(pick, DropoutHousehold(household_id=ids["H002"]).pack())
    children = await h.api.wait_for_edit(CADRE_TG, pick["message_id"])
    user.press(children, DropoutNewChild(household_id=ids["H002"]).pack())
    await h.api.wait_for_edit(CADRE_TG, pick["message_id"])
    [birth] = await h.say(CADRE_TG, "小华")
    user.press(birth, button_for(birth, DropoutSkip, what="birth"))
    reasons = await h.api.wait_for_edit(CADRE_TG, birth["message_id"])
    assert "Why is the child out of school?" in reasons["text"]
    user.press(reasons, button_for(reasons, DropoutReason, reason="illness"))
    since = await h.api.wait_for_edit(CADRE_TG, birth["message_id"])
    user.press(since, button_for(since, DropoutSince, typed=1))
    await h.api.wait_for_edit(CADRE_TG, birth["message_id"])
    [future] = await h.say(CADRE_TG, "2026-12-20")
    assert future["text"] == h.en(REFUSALS["dropout_since_future"], date="2026-12-20")
    [note] = await h.say(CADRE_TG, "2026-11-20")
    [confirm] = await h.say(CADRE_TG, "病假两月")
    assert "illness or disability" in confirm["text"] and "2026-11-20" in confirm["text"]
    user.press(confirm, button_for(confirm, DropoutConfirm, ok=1))
    [reply] = await h.api.wait_for_messages(CADRE_TG)
    [case] = await rows_of(h, DropoutCase)
    assert reply["text"].startswith(
        h.en(
            "\u2705 Case #{case} opened for {child} ({code}); {school} has been told.",
            case=case.id,
            child="小华",
            code="H002",
            school="栋川中心校",
        )
    )
    assert (case.reason, case.since) == ("illness", date(2026, 11, 20))
    [school] = await h.api.wait_for_messages(SCHOOL_TG)
    assert school["text"].startswith("\U0001f4e3 New dropout case")
    member = await member_named(h, "小华")
    assert member.status == "suspected_dropout"
    assert "note" in note["text"].lower()


async def test_ledger_suspected_dropout_offers_the_report(county: Harness) -> None:
    h = county
    ids = {m.name: m.id for m in await rows_of(h, Member)}
    user = h.api.user(CADRE_TG, "c1")
    [view] = await h.say(CADRE_TG, "/ledger H001")
    user.press(view, LedgerMember(member_id=ids["小明"]).pack())
    menu = await h.api.wait_for_edit(CADRE_TG, view["message_id"])
    user.press(
        menu, button_for(menu, LedgerStatus, member_id=ids["小明"], status="suspected_dropout")
    )
    [_saved, offer] = await h.api.wait_for_messages(CADRE_TG, count=2)
    user.press(offer, DropoutFromLedger(member_id=ids["小明"]).pack())
    [reasons] = await h.api.wait_for_messages(CADRE_TG)
    user.press(reasons, button_for(reasons, DropoutReason, reason="work"))
    since = await h.api.wait_for_edit(CADRE_TG, reasons["message_id"])
    user.press(since, button_for(since, DropoutSince, typed=0))
    [note] = await h.api.wait_for_messages(CADRE_TG)
    user.press(note, button_for(note, DropoutSkip, what="note"))
    confirm = await h.api.wait_for_edit(CADRE_TG, note["message_id"])
    user.press(confirm, button_for(confirm, DropoutConfirm, ok=1))
    await h.api.wait_for_messages(CADRE_TG)
    [case] = await rows_of(h, DropoutCase)
    assert (case.member_id, case.reason, case.since) == (ids["小明"], "work", date(2026, 11, 28))
    # A forged "pick child" for another cadre's child is refused.
    update = user.forge_callback(view["message_id"], DropoutChild(member_id=ids["小刚"]).pack())
    answer = await h.api.wait_for_callback_answer(update)
    assert answer["text"] == h.zh(REFUSALS["household_not_yours"])[:200]


async def test_a_blocked_school_cadre_does_not_break_the_report(county: Harness) -> None:
    h = county
    h.api.block(SCHOOL_TG)
    [reply] = await h.say(CADRE_TG, "/dropout H001 小明 marriage")
    [case] = await rows_of(h, DropoutCase)
    assert f"#{case.id}" in reply["text"]
    # The school's notification is not delivered and the person is marked unreachable (by
    # Telegram's "kicked" update, or by the sender's 403, whichever comes first).
    await until(lambda: settled(h), "the school's notification to be settled")
    [row] = await outbox_rows(h)
    assert (row.chat_id, row.state) == (SCHOOL_TG, "unreachable")
    [school] = [c for c in await rows_of(h, Cadre) if c.code == "C3"]
    assert school.unreachable_at is not None
    assert h.api.unread(SCHOOL_TG) == []
    assert (await member_named(h, "小明")).status == "suspected_dropout"
    # Unblocked, the school finds the case in /cases and takes it up.
    h.api.unblock(SCHOOL_TG)
    [listing] = await h.say(SCHOOL_TG, "/cases")
    await _press(h, SCHOOL_TG, listing, CaseOpen(case_id=case.id).pack())
    [view] = await h.api.wait_for_messages(SCHOOL_TG)
    await _press(h, SCHOOL_TG, view, CaseStep(case_id=case.id, step="acknowledge", seen=1).pack())
    await h.api.wait_for_messages(SCHOOL_TG)
    [told] = await h.api.wait_for_messages(CADRE_TG)
    assert f"#{case.id}" in told["text"]


async def test_a_township_without_central_school_leaves_the_case_to_supervisors(
    county: Harness,
) -> None:
    h = county
    [reply] = await h.say(CADRE_TG, "/dropout H003 小兰 distance")
    [case] = await rows_of(h, DropoutCase)
    assert case.school_unit_id is None
    assert reply["text"].startswith(
        h.zh(
            "\u2705 Case #{case} opened for {child} ({code}). No central school is on the "
            "roster for this township: supervisors will follow it.",
            case=case.id,
            child="小兰",
            code="H003",
        )
    )
    assert h.api.unread(SCHOOL_TG) == []
    await _cases_list(h, f"#{case.id} 小兰", (SUPERVISOR_TG,), SCHOOL_TG)


async def test_case_walk_on_postgresql(pg_harness: Harness) -> None:
    h = pg_harness
    household_id = (await h.household_ids())["H007"]
    async with h.app.sessionmaker() as session, session.begin():
        session.add(Member(household_id=household_id, name="小军", status="enrolled"))
    await h.register(CADRE_TG, "C1")
    await h.register(SCHOOL_TG, "C3")
    # C3 holds H007 and is of the school: the reporter and the school are one person here.
    [reply] = await h.say(SCHOOL_TG, "/dropout H007 小军 family")
    [case] = await rows_of(h, DropoutCase)
    assert _buttons(reply) == [CaseStep(case_id=case.id, step="acknowledge", seen=1).pack()]
    await _press(h, SCHOOL_TG, reply, CaseStep(case_id=case.id, step="acknowledge", seen=1).pack())
    [acked] = await h.api.wait_for_messages(SCHOOL_TG)
    await _press(h, SCHOOL_TG, acked, button_for(acked, CaseStep, step="not_a_dropout"))
    [really] = await h.api.wait_for_messages(SCHOOL_TG)
    await _press(h, SCHOOL_TG, really, button_for(really, CaseConfirm, ok=1))
    await h.api.wait_for_messages(SCHOOL_TG)
    [closed] = await rows_of(h, DropoutCase)
    assert (closed.state, closed.closing) == ("closed", "not_a_dropout")
    assert (await member_named(h, "小军")).status == "enrolled"


def test_callback_data_fits_telegrams_64_bytes() -> None:
    big = 2**31 - 1
    longest = [
        CaseStep(case_id=big, step="not_a_dropout", seen=big).pack(),
        CaseConfirm(draft=big, ok=1).pack(),
        CaseOpen(case_id=big).pack(),
        DropoutHousehold(household_id=big).pack(),
        DropoutFromLedger(member_id=big).pack(),
        DropoutReason(draft=big, reason="learning").pack(),
    ]
    assert max(len(data.encode()) for data in longest) <= 64
