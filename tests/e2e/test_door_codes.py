"""Door QR codes: the deep link starts the holder's visit; anyone else is told politely."""

from __future__ import annotations

from datetime import date

from handlers.refusals import REFUSALS
from handlers.texts import NOT_ON_ROSTER
from tests.e2e.conftest import CADRE_TG, OTHER_CADRE_TG, STRANGER_TG, Harness


async def test_door_code_starts_the_visit_at_the_date(harness: Harness) -> None:
    await harness.register(CADRE_TG, "C1")
    [ask] = await harness.say(CADRE_TG, "/start hh_H002")
    assert ask["text"] == harness.zh(
        "Visit to {code} {head}. When was it?", code="H002", head="户主2"
    )
    user = harness.api.get_user(CADRE_TG)
    user.press(ask, ask["reply_markup"]["inline_keyboard"][0][0]["callback_data"])  # today
    confirm = await harness.api.wait_for_edit(CADRE_TG, ask["message_id"])
    user.press(confirm, confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    await harness.api.wait_for_edit(CADRE_TG, ask["message_id"])
    [visit] = await harness.visits("H002")
    assert visit.visit_date == date(2026, 11, 28)


async def test_door_code_of_someone_elses_household(harness: Harness) -> None:
    await harness.register(OTHER_CADRE_TG, "C2")
    [reply] = await harness.say(OTHER_CADRE_TG, "/start hh_H001")
    assert reply["text"] == harness.zh(REFUSALS["not_your_household"], code="H001")
    [reply] = await harness.say(OTHER_CADRE_TG, "/start hh_NOSUCH")
    assert reply["text"] == harness.zh(REFUSALS["not_your_household"], code="NOSUCH")
    assert await harness.visits() == []


async def test_door_code_for_a_stranger_is_the_roster_notice(harness: Harness) -> None:
    [reply] = await harness.say(STRANGER_TG, "/start hh_H001")
    assert reply["text"] == harness.zh(NOT_ON_ROSTER)
    assert await harness.count_attempts() == 0  # not counted as a wrong invite code
