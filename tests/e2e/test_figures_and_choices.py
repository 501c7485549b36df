"""Figures that agree and choices that fit (issue 11): an old overdue milestone stays in sight
and reportable, 0 of 0 is "no duty" (never 100%, never ranked first), the dropout picker offers
children only, and the ledger names exactly what is missing."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from reminders.rules.progress_request import open_milestones_by_unit
from storage.models import Member, Milestone, Task, Unit, UnitVillage, Village
from tests.e2e.buttons import button_for
from tests.e2e.conftest import CADRE_TG, HEAD_TG, SUPERVISOR_TG, Harness
from ui.actions import (
    DropoutChild,
    DropoutHousehold,
    DropoutNewChild,
    LedgerMember,
    LedgerStage,
    LedgerStatus,
    ProgressPick,
)

OLD = "九月核实"  # due 2026-08-31: 89 days overdue on 2026-11-28, past the 60-day look-back


def plain(html: str) -> str:
    return re.sub(r"</?\w+>", "", html)


def _labels(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    return [b["text"] for row in markup["inline_keyboard"] for b in row]


async def _old_milestone(harness: Harness) -> None:
    """A milestone of the "all" task (conftest), long overdue and reported by nobody."""
    async with harness.app.sessionmaker() as session, session.begin():
        task = (await session.execute(select(Task).where(Task.number == 2))).scalar_one()
        session.add(
            Milestone(task_id=task.id, due_date=date(2026, 8, 31), title_zh=OLD, title_en="Sep")
        )


async def test_an_old_overdue_milestone_stays_in_sight_and_reportable(harness: Harness) -> None:
    await _old_milestone(harness)
    await harness.register_all({HEAD_TG: "H1", CADRE_TG: "C1", SUPERVISOR_TG: "S1"})
    # The notice counts it against 教育股 ...
    text, _document, _photo = await harness.say(SUPERVISOR_TG, "/notice", count=3)
    assert any(OLD in line for line in text["text"].splitlines())
    # ... so the unit sees it: /deadlines, /mystatus, the supervisors' /deadlines too.
    [deadlines] = await harness.say(CADRE_TG, "/deadlines")
    assert OLD in deadlines["text"]
    assert "89" in next(line for line in deadlines["text"].splitlines() if OLD in line)
    [status] = await harness.say(CADRE_TG, "/mystatus")
    assert OLD in status["text"]
    [county] = await harness.say(SUPERVISOR_TG, "/deadlines")
    assert OLD in county["text"]
    # ... and its head can report it done through /progress.
    [listing] = await harness.say(HEAD_TG, "/progress")
    assert any(OLD in label for label in _labels(listing))
    user = harness.api.user(HEAD_TG, "head")
    user.press(listing, button_for(listing, ProgressPick, milestone_id=await _id(harness, OLD)))
    prompt = await harness.api.wait_for_edit(HEAD_TG, listing["message_id"])
    assert OLD in prompt["text"]
    [question] = await harness.say(HEAD_TG, "九月核实已补做完成")
    user.press_button(question, harness.zh("\u2705 Mark done"))
    saved = await harness.api.wait_for_edit(HEAD_TG, question["message_id"])
    assert harness.zh("done") in saved["text"] and OLD in saved["text"]
    # Done: out of the picker, and out of /deadlines once past the look-back.
    [listing] = await harness.say(HEAD_TG, "/progress")
    assert all(OLD not in label for label in _labels(listing))
    [deadlines] = await harness.say(CADRE_TG, "/deadlines")
    assert OLD not in deadlines["text"]


async def test_the_progress_request_counts_old_overdue_milestones_too(harness: Harness) -> None:
    """The monthly progress request counts what /progress offers: the old one included."""
    await _old_milestone(harness)
    async with harness.app.sessionmaker() as session:
        unit = (await session.execute(select(Unit).where(Unit.code == "JYG"))).scalar_one()
        counts = await open_milestones_by_unit(session, date(2026, 11, 30))
    assert counts[unit.id] == 3  # 九月核实 (old), 十月核实, 完成挂包农户台账


async def _id(harness: Harness, title: str) -> int:
    async with harness.app.sessionmaker() as session:
        statement = select(Milestone.id).where(Milestone.title_zh == title)
        return int((await session.execute(statement)).scalar_one())


async def _office_with_a_village(harness: Harness) -> None:
    """局办公室 pairs with a village but holds no households (as after the example import)."""
    async with harness.app.sessionmaker() as session, session.begin():
        office = (await session.execute(select(Unit).where(Unit.code == "BGS"))).scalar_one()
        village = (await session.execute(select(Village).where(Village.code == "V2"))).scalar_one()
        session.add(UnitVillage(unit_id=office.id, village_id=village.id))


async def test_a_unit_without_households_is_not_ranked_as_a_hundred_percent(
    harness: Harness,
) -> None:
    await _office_with_a_village(harness)
    await harness.register_all({CADRE_TG: "C1", SUPERVISOR_TG: "S1"})
    await harness.say(CADRE_TG, "/visit H001 2026-11-20")
    text, document, _photo = await harness.say(SUPERVISOR_TG, "/notice", count=3)
    lines = plain(text["text"]).splitlines()
    no_duty = harness.zh("no duty")
    ranked = [line for line in lines if re.match(r"\d+\. ", line)]
    assert [line.split(". ")[1].split("\uff1a")[0] for line in ranked] == ["教育股", "栋川中心校"]
    assert not any("局办公室" in line and "100%" in line for line in lines)
    assert harness.zh("Not ranked (no paired households):") in lines
    assert (
        harness.zh(
            "\u2022 {unit}: village {village}, overdue {overdue}",
            unit="局办公室",
            village="0/1",
            overdue=1,
        )
        in lines
    )
    # Units without a village of their own: "no duty", not "0/0".
    assert no_duty in ranked[0]
    workbook = load_workbook(io.BytesIO(harness.api.file_bytes(document["document"]["file_id"])))
    rows = list(workbook[harness.zh("Ranking")].iter_rows(values_only=True))
    office = next(row for row in rows if row[1] == "BGS")
    assert office[0] is None  # no rank
    assert office[3:6] == (0, 0, no_duty) and office[10] == no_duty


async def test_zero_of_zero_reads_no_duty_in_compliance(harness: Harness) -> None:
    await harness.register(CADRE_TG, "C1")
    # Pairings start on 2026-01-01: nothing was assigned in 2025-Q4.
    [reply] = await harness.say(CADRE_TG, "/compliance 2025-Q4")
    text = plain(reply["text"])
    assert "100%" not in text
    assert harness.zh("no duty") in text


async def _family(harness: Harness) -> dict[str, int]:
    """H001: parents born 1994 and 1996, a pupil, a child of unknown age, a kindergartner."""
    ids = await harness.household_ids()
    people = [
        Member(household_id=ids["H001"], name="鲁大山", birth_date=date(1994, 4, 1)),
        Member(household_id=ids["H001"], name="王秀英", birth_date=date(1996, 6, 1)),
        Member(
            household_id=ids["H001"],
            name="鲁光明",
            birth_date=date(2016, 5, 1),
            status="enrolled",
            stage="primary",
            school="栋川小学",
        ),
        Member(household_id=ids["H001"], name="鲁小二"),
        Member(
            household_id=ids["H001"],
            name="鲁小妹",
            birth_date=date(2021, 3, 1),
            status="enrolled",
            stage="preschool",
            school="栋川幼儿园",
        ),
    ]
    async with harness.app.sessionmaker() as session, session.begin():
        session.add_all(people)
        await session.flush()
        return {m.name: m.id for m in people}


async def test_dropout_offers_only_members_who_may_be_school_children(harness: Harness) -> None:
    members = await _family(harness)
    await harness.register(CADRE_TG, "C1")
    [listing] = await harness.say(CADRE_TG, "/dropout")
    household = (await harness.household_ids())["H001"]
    harness.api.user(CADRE_TG, "c1").press(
        listing, button_for(listing, DropoutHousehold, household_id=household)
    )
    picker = await harness.api.wait_for_edit(CADRE_TG, listing["message_id"])
    labels = _labels(picker)
    assert not any("鲁大山" in label or "王秀英" in label for label in labels)
    assert "鲁光明（2016年生）" in labels and "鲁小二" in labels
    assert not any("鲁小妹" in label for label in labels)  # 5 years old
    button_for(picker, DropoutChild, member_id=members["鲁光明"])
    button_for(picker, DropoutNewChild, household_id=household)  # a new child stays offered


async def test_ledger_names_exactly_what_is_missing(harness: Harness) -> None:
    await _family(harness)
    await harness.register(CADRE_TG, "C1")
    [view] = await harness.say(CADRE_TG, "/ledger H001")
    text = plain(view["text"])
    assert harness.zh("{name}'s grade", name="鲁光明") in text
    assert harness.zh("{name}'s school and grade", name="鲁光明") not in text
    assert "鲁小妹" in text and harness.zh("{name}'s grade", name="鲁小妹") not in text
    assert plain(harness.zh("<b>Needs</b>: {needs}", needs=harness.zh("not filled"))) in text
    assert plain(harness.zh("<b>Needs</b>: {needs}", needs="?")) not in text


async def test_a_kindergartner_is_asked_the_kindergarten_only(harness: Harness) -> None:
    members = await _family(harness)
    await harness.register(CADRE_TG, "C1")
    [view] = await harness.say(CADRE_TG, "/ledger H001")
    user = harness.api.user(CADRE_TG, "c1")
    child = members["鲁小妹"]
    for action in (
        LedgerMember(child).pack(),
        (LedgerStatus, "enrolled"),
        LedgerStage(child, "preschool").pack(),
    ):
        if isinstance(action, tuple):  # a status button carries the member's record token
            current = harness.api.message(CADRE_TG, view["message_id"])
            action = button_for(current, action[0], member_id=child, status=action[1])
        user.press(view, action)
        question = await harness.api.wait_for_edit(CADRE_TG, view["message_id"])
    assert question["text"] == harness.zh(
        "{name}: type the name of the kindergarten, for example: 栋川幼儿园", name="鲁小妹"
    )
    [saved] = await harness.say(CADRE_TG, "光禄镇中心幼儿园")
    text = plain(saved["text"])
    assert "光禄镇中心幼儿园" in text and "光禄镇中心幼儿园 ?" not in text
    assert "鲁小妹的" not in text  # nothing missing for her
    async with harness.app.sessionmaker() as session:
        member = await session.get(Member, child)
        assert member is not None
        assert (member.stage, member.grade) == ("preschool", None)
        assert member.school == "光禄镇中心幼儿园"
