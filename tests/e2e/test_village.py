"""Village visits of pairing units: guided, one line, refusals, coverage and /mystatus."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from domain.errors import DomainError
from domain.periods import Month
from services.village_visits import village_coverage
from storage.models import Unit, UnitVillage, Village, VillageVisit
from tests.e2e.conftest import CADRE_TG, HEAD_TG, SUPERVISOR_TG, Harness
from ui.refusals import REFUSALS, refusal_text


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


async def _dated_today(harness: Harness) -> tuple[dict[str, Any], dict[str, Any]]:
    """C1's unit paired with 大村, /village, "today": the question and the confirm card."""
    await _pair(harness, "JYG", "V1")
    await harness.register(CADRE_TG, "C1")
    [ask] = await harness.say(CADRE_TG, "/village")
    harness.api.get_user(CADRE_TG).press_button(ask, harness.zh("Today ({date})", date="11月28日"))
    return ask, await harness.api.wait_for_edit(CADRE_TG, ask["message_id"])


async def test_guided_village_visit_date_then_confirm(harness: Harness) -> None:
    await _pair(harness, "JYG", "V1")
    await harness.register(CADRE_TG, "C1")
    [ask] = await harness.say(CADRE_TG, "/village")
    assert ask["text"] == harness.zh("Your unit's visit to {village}: when was it?", village="大村")
    user = harness.api.get_user(CADRE_TG)
    user.press_button(ask, harness.zh("Today ({date})", date="11月28日"))
    confirm = await harness.api.wait_for_edit(CADRE_TG, ask["message_id"])
    assert harness.zh("Village: {village}", village="大村") in confirm["text"]
    assert harness.zh("Date: {date}", date="2026年11月28日") in confirm["text"]
    assert await _visits(harness) == []  # nothing logged before the confirmation
    user.press_button(confirm, harness.zh("\u2705 Log village visit"))
    done = await harness.api.wait_for_edit(CADRE_TG, ask["message_id"])
    assert done["text"] == harness.zh(
        "\u2705 Village visit logged: {village} on {date}. {month} is covered for your unit.",
        village="大村",
        date="2026年11月28日",
        month="2026年11月",
    )
    [visit] = await _visits(harness)
    assert visit.visit_date == date(2026, 11, 28)
    assert (visit.participants, visit.discussed, visit.latitude) == (None, None, None)


async def test_guided_village_visit_with_who_went_and_what_was_discussed(
    harness: Harness,
) -> None:
    await _pair(harness, "JYG", "V1")
    await harness.register(HEAD_TG, "H1")  # a unit head logs it like any cadre of the unit
    [ask] = await harness.say(HEAD_TG, "/village")
    user = harness.api.get_user(HEAD_TG)
    user.press_button(ask, harness.zh("Yesterday ({date})", date="11月27日"))
    confirm = await harness.api.wait_for_edit(HEAD_TG, ask["message_id"])
    user.press_button(confirm, harness.zh("\U0001f465 Who went"))
    await harness.api.wait_for_messages(HEAD_TG)
    user.send_text("张伟、李明")
    _noted, confirm = await harness.api.wait_for_messages(HEAD_TG, count=2)
    assert harness.zh("Who went: {names}", names="张伟、李明") in confirm["text"]
    user.press_button(confirm, harness.zh("\U0001f4ac Discussed"))
    await harness.api.wait_for_messages(HEAD_TG)
    user.send_text("研究了控辍保学工作")
    _noted, confirm = await harness.api.wait_for_messages(HEAD_TG, count=2)
    user.press_button(confirm, harness.zh("\u2705 Log village visit"))
    done = await harness.api.wait_for_edit(HEAD_TG, confirm["message_id"])
    assert "2026年11月27日" in done["text"]
    [visit] = await _visits(harness)
    assert (visit.visit_date, visit.participants, visit.discussed) == (
        date(2026, 11, 27),
        "张伟、李明",
        "研究了控辍保学工作",
    )


async def test_guided_village_visit_cancelled_logs_nothing(harness: Harness) -> None:
    ask, confirm = await _dated_today(harness)
    user = harness.api.get_user(CADRE_TG)
    user.press_button(confirm, harness.zh("\u2716 Cancel"))
    done = await harness.api.wait_for_edit(CADRE_TG, ask["message_id"])
    assert done["text"] == harness.zh("Cancelled. Nothing was logged.")
    # The old confirm button is stale now.
    update = user.forge_callback(ask["message_id"], "vvs:ok")
    answer = await harness.api.wait_for_callback_answer(update)
    assert answer["text"] == harness.zh(REFUSALS["stale_button"])[:200]
    assert await _visits(harness) == []


async def test_any_cadre_of_the_unit_logs_the_units_visit_once_per_day(harness: Harness) -> None:
    await _pair(harness, "JYG", "V1")
    await harness.register(CADRE_TG, "C1")
    await harness.register(HEAD_TG, "H1")
    [first] = await harness.say(CADRE_TG, "/village 2026-11-20 研究了控辍保学工作")
    assert "2026年11月20日" in first["text"]
    [again] = await harness.say(HEAD_TG, "/village 2026-11-20 同一次")
    assert again["text"] == harness.zh(
        "Your unit's visit to {village} on {date} was already logged. Nothing changed.",
        village="大村",
        date="2026年11月20日",
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
    await _pair(harness, "CS1", "V2")
    await harness.register(CADRE_TG, "C1")
    await harness.register(SUPERVISOR_TG, "S1")  # 局办公室: not paired with any village
    [reply] = await harness.say(SUPERVISOR_TG, "/village")
    assert reply["text"] == harness.zh(REFUSALS["unit_not_paired"])
    [reply] = await harness.say(SUPERVISOR_TG, "/village 2026-11-20 到村")
    assert reply["text"] == harness.zh(REFUSALS["unit_not_paired"])
    [reply] = await harness.say(CADRE_TG, "/village 2026-11-29")
    assert reply["text"] == harness.zh(REFUSALS["date_future"], date="2026年11月29日")
    [reply] = await harness.say(CADRE_TG, "/village 2026-10-01 太早")
    too_old = DomainError("date_too_old", date="2026-10-01", days=30, earliest="2026-10-29")
    assert reply["text"] == refusal_text(too_old, harness.zh)
    assert reply["text"].startswith("2026年10月1日已超过 30 天")
    [reply] = await harness.say(CADRE_TG, "/village 2026-02-30")
    assert reply["text"] == harness.zh(REFUSALS["date_not_real"], text="2026-02-30")
    # Forged buttons for CS1's village: the date step, the village pick.
    [ask] = await harness.say(CADRE_TG, "/village")
    other = ids["V1"] + 1  # V2, paired with 栋川中心校 only
    user = harness.api.get_user(CADRE_TG)
    for data in (f"vvd:{other}:0", f"vv:{other}", f"vvd:{other}:-1"):
        update = user.forge_callback(ask["message_id"], data)
        answer = await harness.api.wait_for_callback_answer(update)
        assert answer["text"] == harness.zh(REFUSALS["not_your_village"])[:200]
    # A typed date out of range in the guided flow.
    user.press_button(ask, harness.zh("Another date"))
    await harness.api.wait_for_edit(CADRE_TG, ask["message_id"])
    [reply] = await harness.say(CADRE_TG, "2026-12-01")
    assert reply["text"] == harness.zh(REFUSALS["date_future"], date="2026年12月1日")
    assert await _visits(harness) == []


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
        harness.zh.plural(
            "Village visits in {month}: {covered} of {count} unit ({percent})",
            "Village visits in {month}: {covered} of {count} units ({percent})",
            2,
            month="2026年11月",
            covered=1,
            percent="50%",
        )
        in report["text"]
    )


async def test_a_redelivered_confirmation_logs_one_visit(harness: Harness) -> None:
    ask, confirm = await _dated_today(harness)
    user = harness.api.get_user(CADRE_TG)
    press = user.press_button(confirm, harness.zh("\u2705 Log village visit"))
    await harness.api.wait_for_edit(CADRE_TG, ask["message_id"])
    harness.api.redeliver(press)
    await harness.api.wait_idle()
    assert len(await _visits(harness)) == 1
    # The same query is answered once: the bot remembers it (Telegram refuses a second).
    assert harness.api.rejections == []
    query_id = press["callback_query"]["id"]
    answers = harness.api.calls_of("answerCallbackQuery")
    assert [a.params["callback_query_id"] for a in answers].count(query_id) == 1


async def test_mystatus_buttons_start_the_village_and_ledger_flows(harness: Harness) -> None:
    await _pair(harness, "JYG", "V1")
    await harness.register(CADRE_TG, "C1")
    [status] = await harness.say(CADRE_TG, "/mystatus")
    buttons = [b for row in status["reply_markup"]["inline_keyboard"] for b in row]
    village = next(b for b in buttons if "大村" in b["text"])
    user = harness.api.get_user(CADRE_TG)
    user.press(status, village["callback_data"])
    asked = await harness.api.wait_for_edit(CADRE_TG, status["message_id"])
    assert "大村" in asked["text"] and asked["reply_markup"]["inline_keyboard"]
    [status] = await harness.say(CADRE_TG, "/mystatus")
    buttons = [b for row in status["reply_markup"]["inline_keyboard"] for b in row]
    ledger = next(
        b for b in buttons if "H001" in b["text"] and b["callback_data"].startswith("ldo")
    )
    user.press(status, ledger["callback_data"])
    [view] = await harness.api.wait_for_messages(CADRE_TG)
    assert "H001" in view["text"] and "户主1" in view["text"]


async def test_one_line_village_visit_dated_yesterday_by_word(harness: Harness) -> None:
    await _pair(harness, "JYG", "V1")
    await harness.register(CADRE_TG, "C1")
    [reply] = await harness.say(CADRE_TG, "/village 昨天 研究控辍保学")
    [visit] = await _visits(harness)
    assert (visit.visit_date, visit.discussed) == (date(2026, 11, 27), "研究控辍保学")
    assert reply["text"] == (
        "\u2705 到村工作已登记：大村，2026年11月27日。本单位2026年11月的到村工作已完成。"
        "\n研究事项：研究控辍保学"
    )


async def test_village_confirm_names_the_village_visit_and_one_term(harness: Harness) -> None:
    _ask, confirm = await _dated_today(harness)
    labels = [b["text"] for row in confirm["reply_markup"]["inline_keyboard"] for b in row]
    assert labels[0] == "\u2705 登记到村工作"
    assert "\U0001f4ac 研究事项" in labels
    [help_text] = await harness.say(CADRE_TG, "/help")
    assert "[研究事项]" in help_text["text"] and "商议" not in help_text["text"]
