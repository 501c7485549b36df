"""/ledger through the real Dispatcher: viewing, every kind of edit, review, history, refusals."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import AidRecord, LedgerChange, LedgerReview, Member, Pairing
from tests.e2e.buttons import button_for
from tests.e2e.conftest import CADRE_TG, NOW, OTHER_CADRE_TG, SUPERVISOR_TG, Harness
from tests.e2e.db_reads import member_named, rows_of
from ui.actions import (
    Action,
    LedgerAidKind,
    LedgerAidMenu,
    LedgerBirth,
    LedgerDestination,
    LedgerMember,
    LedgerNeeds,
    LedgerOpen,
    LedgerReviewed,
    LedgerStage,
    LedgerStatus,
)
from ui.refusals import REFUSALS


def plain(html: str) -> str:
    """What the user reads: the fake server turns HTML into plain text with entities."""
    return re.sub(r"</?\w+>", "", html)


async def _ids(harness: Harness) -> dict[str, int]:
    async with harness.app.sessionmaker() as session:
        members = dict((await session.execute(select(Member.name, Member.id))).all())
    return {**await harness.household_ids(), **members}


@pytest.fixture
async def cadre(harness: Harness) -> Harness:
    """C1 registered; H001 has three members, H003 a complete ledger, H005 (C2's) a child."""
    ids = await harness.household_ids()
    async with harness.app.sessionmaker() as session, session.begin():
        session.add_all(
            [
                Member(household_id=ids["H001"], name="小明", sex="m", birth_date=date(2015, 3, 1)),
                Member(household_id=ids["H001"], name="老李", sex="m", birth_date=date(1975, 5, 5)),
                Member(
                    household_id=ids["H001"],
                    name="小红",
                    sex="f",
                    birth_date=date(2012, 6, 1),
                    status="enrolled",
                    stage="junior",
                    school="栋川中学",
                    grade="初二",
                ),
                Member(household_id=ids["H005"], name="小刚", birth_date=date(2014, 1, 1)),
                LedgerReview(
                    household_id=ids["H003"],
                    year=2026,
                    needs="无",
                    reviewed_at=datetime(2026, 10, 8, tzinfo=UTC),
                ),
            ]
        )
    await harness.register(CADRE_TG, "C1")
    return harness


async def _open_ledger(cadre: Harness, code: str = "H001") -> dict[str, Any]:
    [view] = await cadre.say(CADRE_TG, f"/ledger {code}")
    return view


Press = Action | tuple[type[Action], dict[str, Any]]


async def _press_through(cadre: Harness, view: dict[str, Any], *actions: Press) -> None:
    """Press each button in turn on the ledger's message; each press turns it into the next.
    A (kind, fields) pair is the one button of that kind with those fields on the message
    (status buttons carry the member's record token)."""
    user = cadre.api.user(CADRE_TG, "user")
    message = cadre.api.message(CADRE_TG, view["message_id"])
    for action in actions:
        if isinstance(action, Action):
            user.press(message, action.pack())
        else:
            user.press(message, button_for(message, action[0], **action[1]))
        message = await cadre.api.wait_for_edit(CADRE_TG, view["message_id"])


def _status(member_id: int, status: str) -> Press:
    return (LedgerStatus, {"member_id": member_id, "status": status})


def _enrolled(member_id: int, stage: str) -> tuple[Press, ...]:
    """The member's menu, "enrolled", then the stage: the school and grade are asked next."""
    return (
        LedgerMember(member_id),
        _status(member_id, "enrolled"),
        LedgerStage(member_id, stage),
    )


async def test_list_puts_incomplete_ledgers_first(cadre: Harness) -> None:
    [listing] = await cadre.say(CADRE_TG, "/ledger")
    rows = [row[0]["text"] for row in listing["reply_markup"]["inline_keyboard"]]
    assert rows == [
        "\u25cb H001 户主1",
        "\u25cb H002 户主2",
        "\u25cb H004 户主4",
        "\u2713 H003 户主3",
    ]
    assert (
        plain(
            cadre.zh(
                "<b>Ledgers {year}</b>: {complete} of {total} complete; \u25cb = incomplete. "
                "Due by the end of November. Pick a household:",
                year=2026,
                complete=1,
                total=4,
            )
        )
        == listing["text"]
    )
    ids = await _ids(cadre)
    cadre.api.user(CADRE_TG, "user").press(listing, LedgerOpen(household_id=ids["H003"]).pack())
    [view] = await cadre.api.wait_for_messages(CADRE_TG)
    assert cadre.zh("\u2705 Complete for {year}.", year=2026) in view["text"]


async def test_view_shows_members_aid_needs_visits_and_why_incomplete(cadre: Harness) -> None:
    await cadre.say(CADRE_TG, "/visit H001 2026-11-20 讲解政策")
    view = await _open_ledger(cadre)
    text = view["text"]
    assert "H001" in text and "户主1" in text and "大村" in text
    assert "小明" in text and cadre.zh("age {age}", age=11) in text
    assert cadre.zh("schooling status not recorded") in text
    assert "栋川中学 初二" in text and cadre.zh("junior high") in text
    assert "2026年11月20日 讲解政策" in text
    assert cadre.zh("{name}'s schooling status", name="小明") in text
    assert cadre.zh("needs") in text and cadre.zh("review this season") in text
    labels = [b["text"] for row in view["reply_markup"]["inline_keyboard"] for b in row]
    assert "\u25cb 小明" in labels and "\u270e 老李" in labels


async def test_enrolled_takes_stage_school_and_grade_and_keeps_history(cadre: Harness) -> None:
    ids = await _ids(cadre)
    await _press_through(cadre, await _open_ledger(cadre), *_enrolled(ids["小明"], "primary"))
    [saved] = await cadre.say(CADRE_TG, "栋川小学 五年级")
    assert saved["text"].startswith(cadre.zh("\u2705 Saved."))
    member = await member_named(cadre, "小明")
    assert (member.status, member.stage, member.school, member.grade) == (
        "enrolled",
        "primary",
        "栋川小学",
        "五年级",
    )
    changes = await rows_of(cadre, LedgerChange)
    assert [(c.field, c.old_value, c.new_value) for c in changes] == [
        ("status", None, "enrolled"),
        ("stage", None, "primary"),
        ("school", None, "栋川小学"),
        ("grade", None, "五年级"),
    ]
    assert all(c.member_id == ids["小明"] and c.changed_at == NOW for c in changes)
    assert {c.changed_by for c in changes} == {await _cadre_id(cadre, "C1")}


async def _cadre_id(harness: Harness, code: str) -> int:
    from storage.models import Cadre

    async with harness.app.sessionmaker() as session:
        return (await session.execute(select(Cadre.id).where(Cadre.code == code))).scalar_one()


async def test_graduated_takes_a_destination_and_history_keeps_the_old_value(
    cadre: Harness,
) -> None:
    ids = await _ids(cadre)
    view = await _open_ledger(cadre)
    await _press_through(cadre, view, LedgerMember(ids["小红"]), _status(ids["小红"], "graduated"))
    picker = cadre.api.message(CADRE_TG, view["message_id"])
    cadre.api.user(CADRE_TG, "user").press(
        picker, button_for(picker, LedgerDestination, destination="vocational")
    )
    [saved] = await cadre.api.wait_for_messages(CADRE_TG)
    went = cadre.zh("destination: {destination}", destination=cadre.zh("vocational school"))
    assert went in saved["text"]
    member = await member_named(cadre, "小红")
    assert (member.status, member.destination, member.school) == (
        "graduated",
        "vocational",
        "栋川中学",
    )
    changes = await rows_of(cadre, LedgerChange)
    assert [(c.field, c.old_value, c.new_value) for c in changes] == [
        ("status", "enrolled", "graduated"),
        ("destination", None, "vocational"),
    ]


async def test_suspected_dropout_is_one_tap(cadre: Harness) -> None:
    ids = await _ids(cadre)
    view = await _open_ledger(cadre)
    await _press_through(cadre, view, LedgerMember(ids["小明"]))
    menu = cadre.api.message(CADRE_TG, view["message_id"])
    cadre.api.user(CADRE_TG, "user").press(
        menu, button_for(menu, LedgerStatus, status="suspected_dropout")
    )
    [saved] = await cadre.api.wait_for_messages(CADRE_TG)
    assert cadre.zh("suspected dropout") in saved["text"]
    assert (await member_named(cadre, "小明")).status == "suspected_dropout"


async def test_birth_date_is_typed(cadre: Harness) -> None:
    ids = await _ids(cadre)
    view = await _open_ledger(cadre)
    await _press_through(cadre, view, LedgerMember(ids["老李"]), LedgerBirth(ids["老李"]))
    [refused] = await cadre.say(CADRE_TG, "2030-01-01")
    assert refused["text"] == cadre.zh(REFUSALS["ledger_bad_birth_date"], date="2030年1月1日")
    await cadre.say(CADRE_TG, "1976-02-03")
    assert (await member_named(cadre, "老李")).birth_date == date(1976, 2, 3)
    [change] = await rows_of(cadre, LedgerChange)
    assert (change.field, change.old_value, change.new_value) == (
        "birth_date",
        "1975-05-05",
        "1976-02-03",
    )


async def test_needs_aid_and_review_complete_the_ledger(cadre: Harness) -> None:
    ids = await _ids(cadre)
    user = cadre.api.user(CADRE_TG, "user")
    view = await _open_ledger(cadre, "H002")
    user.press(view, LedgerNeeds(household_id=ids["H002"]).pack())
    await cadre.api.wait_for_messages(CADRE_TG)
    [with_needs] = await cadre.say(CADRE_TG, "需要助学金")

    user.press(with_needs, LedgerAidMenu(household_id=ids["H002"]).pack())
    [kinds] = await cadre.api.wait_for_messages(CADRE_TG)
    user.press(kinds, LedgerAidKind(household_id=ids["H002"], kind="bursary").pack())
    await cadre.api.wait_for_edit(CADRE_TG, kinds["message_id"])
    [refused] = await cadre.say(CADRE_TG, "abc")
    assert refused["text"] == cadre.zh(REFUSALS["ledger_bad_amount"], text="abc")
    assert await rows_of(cadre, AidRecord) == []
    [with_aid] = await cadre.say(CADRE_TG, "1500.5 秋季学期")
    assert cadre.zh("{amount} yuan", amount="1500.5") + "（秋季学期）" in with_aid["text"]

    user.press(with_aid, LedgerReviewed(household_id=ids["H002"]).pack())
    [reviewed] = await cadre.api.wait_for_messages(CADRE_TG)
    assert cadre.zh("\u2705 Complete for {year}.", year=2026) in reviewed["text"]
    assert (
        cadre.zh("Reviewed on {date} by {name}.", date="2026年11月28日", name="李明")
        in reviewed["text"]
    )

    [aid] = await rows_of(cadre, AidRecord)
    assert (aid.kind, aid.amount, aid.note, aid.year, aid.recorded_at) == (
        "bursary",
        1500.5,
        "秋季学期",
        2026,
        NOW,
    )
    reviews = {r.household_id: r for r in await rows_of(cadre, LedgerReview)}
    assert reviews[ids["H002"]].needs == "需要助学金"
    assert reviews[ids["H002"]].reviewed_at == NOW
    changes = await rows_of(cadre, LedgerChange)
    assert [(c.field, c.old_value, c.new_value) for c in changes] == [
        ("needs", None, "需要助学金"),
        ("aid", None, "bursary 1500.5 秋季学期"),
        ("reviewed_at", None, NOW.isoformat()),
    ]
    assert all(c.household_id == ids["H002"] and c.member_id is None for c in changes)


async def test_someone_elses_household_by_code_and_by_forged_buttons(cadre: Harness) -> None:
    ids = await _ids(cadre)
    [reply] = await cadre.say(CADRE_TG, "/ledger H005")
    assert reply["text"] == cadre.zh(REFUSALS["not_your_household"], code="H005")
    refusal = cadre.zh(REFUSALS["household_not_yours"])  # a button's id: no code shown
    view = await _open_ledger(cadre)
    user = cadre.api.user(CADRE_TG, "user")
    for data in (
        LedgerOpen(household_id=ids["H005"]).pack(),
        LedgerMember(member_id=ids["小刚"]).pack(),
        LedgerStatus(member_id=ids["小刚"], status="suspected_dropout", record=0).pack(),
        LedgerDestination(member_id=ids["小刚"], destination="work", record=0).pack(),
        LedgerNeeds(household_id=ids["H005"]).pack(),
        LedgerAidKind(household_id=ids["H005"], kind="bursary").pack(),
        LedgerReviewed(household_id=ids["H005"]).pack(),
    ):
        update = user.forge_callback(view["message_id"], data)
        answer = await cadre.api.wait_for_callback_answer(update)
        assert answer["text"] == refusal[:200], data
    assert (await member_named(cadre, "小刚")).status is None
    assert await rows_of(cadre, LedgerChange) == []
    assert len(await rows_of(cadre, LedgerReview)) == 1


async def test_button_of_a_household_moved_to_another_cadre_is_refused(cadre: Harness) -> None:
    ids = await _ids(cadre)
    view = await _open_ledger(cadre)
    other_cadre = await _cadre_id(cadre, "C2")
    async with cadre.app.sessionmaker() as session, session.begin():
        pairing = (
            await session.execute(
                select(Pairing).where(Pairing.household_id == ids["H001"], Pairing.until.is_(None))
            )
        ).scalar_one()
        pairing.until = NOW
        session.add(Pairing(cadre_id=other_cadre, household_id=ids["H001"], since=NOW))
    user = cadre.api.user(CADRE_TG, "user")
    update = user.press(view, LedgerReviewed(household_id=ids["H001"]).pack())
    answer = await cadre.api.wait_for_callback_answer(update)
    assert answer["text"] == cadre.zh(REFUSALS["household_not_yours"])[:200]
    assert await rows_of(cadre, LedgerChange) == []


@pytest.mark.parametrize(
    "data",
    [
        "lds:{m}:bogus:0",
        "ldt:{m}:kindergarten",
        "ldd:{m}:moon:0",
        "ldk:{h}:lottery",
        "lds:{m}:suspected_dropout",  # a button from before status buttons carried a record
    ],
)
async def test_stale_or_garbage_buttons_are_refused(cadre: Harness, data: str) -> None:
    ids = await _ids(cadre)
    view = await _open_ledger(cadre)
    forged = data.format(m=ids["小明"], h=ids["H001"])
    update = cadre.api.user(CADRE_TG, "user").forge_callback(view["message_id"], forged)
    answer = await cadre.api.wait_for_callback_answer(update)
    assert answer["text"] == cadre.zh(REFUSALS["stale_button"])[:200]
    assert await rows_of(cadre, LedgerChange) == []


async def test_oversized_or_malformed_answers_are_refused(cadre: Harness) -> None:
    ids = await _ids(cadre)
    user = cadre.api.user(CADRE_TG, "user")
    view = await _open_ledger(cadre)
    user.press(view, LedgerNeeds(household_id=ids["H001"]).pack())
    await cadre.api.wait_for_messages(CADRE_TG)
    [refused] = await cadre.say(CADRE_TG, "很" * 600)
    assert refused["text"] == cadre.zh(REFUSALS["ledger_text_too_long"], length=600, limit=500)

    await _press_through(cadre, view, *_enrolled(ids["小明"], "primary"))
    [refused] = await cadre.say(CADRE_TG, "栋川小学")
    assert refused["text"] == cadre.zh(REFUSALS["ledger_school_grade_format"])
    assert await rows_of(cadre, LedgerChange) == []
    assert (await member_named(cadre, "小明")).status is None


async def test_supervisor_may_view_but_not_edit(cadre: Harness) -> None:
    ids = await _ids(cadre)
    await cadre.register(SUPERVISOR_TG, "S1")
    [view] = await cadre.say(SUPERVISOR_TG, "/ledger H001")
    assert "小明" in view["text"] and "reply_markup" not in view
    update = cadre.api.user(SUPERVISOR_TG, "sup").forge_callback(
        view["message_id"], LedgerReviewed(household_id=ids["H001"]).pack()
    )
    answer = await cadre.api.wait_for_callback_answer(update)
    assert answer["text"] == cadre.zh(REFUSALS["household_not_yours"])[:200]
    await cadre.register(OTHER_CADRE_TG, "C2")
    [other] = await cadre.say(OTHER_CADRE_TG, "/ledger H001")
    assert other["text"] == cadre.zh(REFUSALS["not_your_household"], code="H001")


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row
    ]


async def test_after_a_step_the_old_card_and_picker_have_no_buttons(cadre: Harness) -> None:
    """One message acts on the ledger: the card or picker pressed for a new card below is
    retired, and so is the card a typed answer was asked below."""
    ids = await _ids(cadre)
    user = cadre.api.user(CADRE_TG, "user")
    view = await _open_ledger(cadre)
    user.press(view, LedgerReviewed(household_id=ids["H001"]).pack())
    [card] = await cadre.api.wait_for_messages(CADRE_TG)
    assert _buttons(await cadre.api.wait_for_edit(CADRE_TG, view["message_id"])) == []
    assert _buttons(card)

    await _press_through(cadre, card, LedgerMember(ids["小红"]), _status(ids["小红"], "graduated"))
    picker = cadre.api.message(CADRE_TG, card["message_id"])
    user.press(picker, button_for(picker, LedgerDestination, destination="work"))
    [card] = await cadre.api.wait_for_messages(CADRE_TG)
    assert _buttons(await cadre.api.wait_for_edit(CADRE_TG, picker["message_id"])) == []
    with pytest.raises(AssertionError):  # "other" on the old picker is gone
        user.press(picker, button_for(picker, LedgerDestination, destination="other"))

    user.press(card, LedgerNeeds(household_id=ids["H001"]).pack())
    await cadre.api.wait_for_messages(CADRE_TG)
    [new_card] = await cadre.say(CADRE_TG, "无")
    assert _buttons(await cadre.api.wait_for_edit(CADRE_TG, card["message_id"])) == []
    assert _buttons(new_card)
    assert (await member_named(cadre, "小红")).destination == "work"


async def test_a_picker_made_stale_by_a_later_change_does_not_overwrite(cadre: Harness) -> None:
    """Two cards of the same household: a destination saved from one makes the other's
    picker stale; its tap is refused with a toast and nothing changes."""
    ids = await _ids(cadre)
    first, second = await _open_ledger(cadre), await _open_ledger(cadre)
    to_graduated = (LedgerMember(ids["小红"]), _status(ids["小红"], "graduated"))
    await _press_through(cadre, first, *to_graduated)
    await _press_through(cadre, second, *to_graduated)
    user = cadre.api.user(CADRE_TG, "user")
    newer = cadre.api.message(CADRE_TG, second["message_id"])
    user.press(newer, button_for(newer, LedgerDestination, destination="work"))
    await cadre.api.wait_for_messages(CADRE_TG)
    older = cadre.api.message(CADRE_TG, first["message_id"])
    update = user.press(older, button_for(older, LedgerDestination, destination="other"))
    answer = await cadre.api.wait_for_callback_answer(update)
    assert answer["text"] == cadre.zh(REFUSALS["stale_button"])[:200]
    assert not answer.get("show_alert")
    assert (await member_named(cadre, "小红")).destination == "work"
    changes = await rows_of(cadre, LedgerChange)
    assert [c.new_value for c in changes if c.field == "destination"] == ["work"]


async def test_no_placeholders_and_a_graduate_s_destination_button(cadre: Harness) -> None:
    """No "?" or "→ ?": what is not filled in is said; facts after a name are separated by
    "，"; a graduate's menu has its own destination button, and university is a destination."""
    ids = await _ids(cadre)
    async with cadre.app.sessionmaker() as session, session.begin():
        session.add_all(
            [
                Member(
                    household_id=ids["H002"],
                    name="毕明",
                    sex="m",
                    birth_date=date(2006, 5, 1),
                    status="graduated",
                ),
                Member(
                    household_id=ids["H002"],
                    name="毕军",
                    sex="m",
                    birth_date=date(1979, 5, 1),
                    status="enrolled",
                ),
            ]
        )
    ids = await _ids(cadre)
    view = await _open_ledger(cadre, "H002")
    text = plain(view["text"])
    assert "?" not in text and "\u2192" not in text
    assert "毕明（男，20岁）：已毕业，毕业去向未填写" in text
    assert "毕军（男，47岁）：在校，学段、学校和年级未填写" in text
    await _press_through(cadre, view, LedgerMember(ids["毕明"]))
    menu = cadre.api.message(CADRE_TG, view["message_id"])
    assert "当前：已毕业，毕业去向未填写" in menu["text"]
    labels = [b["text"] for b in _buttons(menu)]
    assert labels[0] == "\U0001f393 毕业去向"
    await _press_through(cadre, view, _status(ids["毕明"], "graduated"))
    picker = cadre.api.message(CADRE_TG, view["message_id"])
    assert [b["text"] for b in _buttons(picker)][:5] == ["高中", "中职", "大学", "务工", "其他"]
    user = cadre.api.user(CADRE_TG, "user")
    user.press(picker, button_for(picker, LedgerDestination, destination="university"))
    [saved] = await cadre.api.wait_for_messages(CADRE_TG)
    assert "毕明（男，20岁）：已毕业，毕业去向为大学" in plain(saved["text"])
    assert (await member_named(cadre, "毕明")).destination == "university"


def test_english_says_what_is_not_filled_in() -> None:
    from domain.ledgers import MemberFacts
    from ui.i18n import Catalogs
    from ui.views.ledger import schooling_text

    t = Catalogs.load("zh").translator("en")
    assert (
        schooling_text(MemberFacts("A", status="enrolled"), t)
        == "enrolled, school stage, school and grade not filled in"
    )
    assert (
        schooling_text(MemberFacts("A", status="enrolled", stage="junior", school="X"), t)
        == "enrolled, junior high, X, grade not filled in"
    )
    assert (
        schooling_text(MemberFacts("A", status="graduated", destination="work"), t)
        == "graduated, destination: work"
    )
