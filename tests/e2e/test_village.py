"""Village visits of pairing units: guided, one line, refusals, coverage and /mystatus."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from domain.periods import Month
from handlers.refusals import REFUSALS
from services.village_visits import village_coverage
from storage.models import Unit, UnitVillage, Village, VillageVisit
from tests.e2e.conftest import CADRE_TG, HEAD_TG, OTHER_CADRE_TG, SUPERVISOR_TG, Harness


async def _pair(harness: Harness, unit_code: str, *village_codes: str) -> dict[str, int]:
    """Pair a unit with villages of the seeded roster; returns village ids by code."""
    async with harness.app.sessionmaker() as session, session.begin():
        unit = (await session.execute(select(Unit).where(Unit.code == unit_code))).scalar_one()
        ids: dict[str, int] = {}
        for code in village_codes:
            village = (
                await session.execute(select(Village).where(Village.code == code))
            ).scalar_one()
            session.add(UnitVillage(unit_id=unit.id, village_id=village.id))
            ids[code] = village.id
    return ids


async def _visits(harness: Harness) -> list[VillageVisit]:
    async with harness.app.sessionmaker() as session:
        return list((await session.execute(select(VillageVisit))).scalars())


async def test_guided_village_visit_in_two_taps(harness: Harness) -> None:
    await _pair(harness, "JYG", "V1")
    await harness.register(CADRE_TG, "C1")
    [ask] = await harness.say(CADRE_TG, "/village")
    assert "大村" in ask["text"]
    harness.api.get_user(CADRE_TG).press(
        ask, ask["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    )
    done = await harness.api.wait_for_edit(CADRE_TG, ask["message_id"])
    assert done["text"] == harness.zh(
        "\u2705 Village visit logged: {village} on {date}. {month} is covered for your unit.",
        village="大村",
        date="2026-11-28",
        month="2026-11",
    )
    [visit] = await _visits(harness)
    assert visit.visit_date == date(2026, 11, 28)


async def test_any_cadre_of_the_unit_logs_the_units_visit_once_per_day(harness: Harness) -> None:
    await _pair(harness, "JYG", "V1")
    await harness.register(CADRE_TG, "C1")
    await harness.register(HEAD_TG, "H1")
    [first] = await harness.say(CADRE_TG, "/village 2026-11-20 研究了控辍保学工作")
    assert "2026-11-20" in first["text"]
    [again] = await harness.say(HEAD_TG, "/village 2026-11-20 同一次")
    assert again["text"] == harness.zh(
        "Your unit's visit to {village} on {date} was already logged. Nothing changed.",
        village="大村",
        date="2026-11-20",
    )
    [visit] = await _visits(harness)
    assert visit.discussed == "研究了控辍保学工作"
    # A redelivered update changes nothing either.
    update = harness.api.get_user(CADRE_TG).send_text("/village 2026-11-21")
    await harness.api.wait_for_messages(CADRE_TG)
    harness.api.redeliver(update)
    await harness.api.wait_for_messages(CADRE_TG)
    assert len(await _visits(harness)) == 2


async def test_refusals(harness: Harness) -> None:
    ids = await _pair(harness, "JYG", "V1")
    await harness.register(CADRE_TG, "C1")
    await harness.register(OTHER_CADRE_TG, "C3")  # 栋川中心校: not paired with any village
    [reply] = await harness.say(OTHER_CADRE_TG, "/village")
    assert reply["text"] == harness.zh(REFUSALS["unit_not_paired"])
    [reply] = await harness.say(CADRE_TG, "/village 2026-11-29")
    assert reply["text"] == harness.zh(REFUSALS["date_future"], date="2026-11-29")
    # A forged button for a village of another unit.
    [ask] = await harness.say(CADRE_TG, "/village")
    other = ids["V1"] + 1  # V2, paired with nobody's unit here
    update = harness.api.get_user(CADRE_TG).forge_callback(ask["message_id"], f"vvd:{other}:0")
    answer = await harness.api.wait_for_callback_answer(update)
    assert answer["text"] == harness.zh(REFUSALS["not_your_village"])[:200]
    assert await _visits(harness) == []


async def test_several_villages_need_a_pick(harness: Harness) -> None:
    await _pair(harness, "JYG", "V1", "V2")
    await harness.register(CADRE_TG, "C1")
    [reply] = await harness.say(CADRE_TG, "/village 2026-11-20")
    assert reply["text"] == harness.zh(REFUSALS["several_villages"])
    [pick] = await harness.say(CADRE_TG, "/village")
    user = harness.api.get_user(CADRE_TG)
    user.press(pick, pick["reply_markup"]["inline_keyboard"][1][0]["callback_data"])  # 小村
    dated = await harness.api.wait_for_edit(CADRE_TG, pick["message_id"])
    user.press(dated, dated["reply_markup"]["inline_keyboard"][1][1]["callback_data"])  # other
    await harness.api.wait_for_edit(CADRE_TG, pick["message_id"])
    [done] = await harness.say(CADRE_TG, "2026-11-02")
    assert "小村" in done["text"] and "2026-11-02" in done["text"]


async def test_month_coverage_in_mystatus_compliance_and_service(harness: Harness) -> None:
    await _pair(harness, "JYG", "V1")
    await _pair(harness, "CS1", "V2")
    await harness.register(CADRE_TG, "C1")
    [status] = await harness.say(CADRE_TG, "/mystatus")
    assert "\u25cb 大村" in status["text"]
    await harness.say(CADRE_TG, "/village 2026-11-03")
    [status] = await harness.say(CADRE_TG, "/mystatus")
    assert "\u2713 大村" in status["text"]

    async with harness.app.sessionmaker() as session:
        rows = await village_coverage(session, Month(2026, 11))
    assert {(r.unit_code, r.village_code, r.covered) for r in rows} == {
        ("JYG", "V1", True),
        ("CS1", "V2", False),
    }
    async with harness.app.sessionmaker() as session:
        rows = await village_coverage(session, Month(2026, 10))
    assert not any(r.covered for r in rows)

    await harness.register(SUPERVISOR_TG, "S1")
    [report] = await harness.say(SUPERVISOR_TG, "/compliance")
    assert (
        harness.zh(
            "Village visits in {month}: {covered} of {assigned} units ({percent})",
            month="2026-11",
            covered=1,
            assigned=2,
            percent="50%",
        )
        in report["text"]
    )
