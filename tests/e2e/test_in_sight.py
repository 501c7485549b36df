"""Confirmations where the person looks: one live confirm card in the chat after a typed
answer, and a stale tap answered with a toast that says why, no old message edited."""

from __future__ import annotations

from typing import Any

import pytest

from fakeapi.state import iter_buttons
from tests.e2e.buttons import button_for
from tests.e2e.conftest import CADRE_TG, Harness
from ui.actions import PickDate, PickHousehold, VisitStep, parse_action
from ui.refusals import REFUSALS


@pytest.fixture
async def cadre(harness: Harness) -> Harness:
    await harness.register(CADRE_TG, "C1")
    return harness


def live_cards(harness: Harness) -> list[dict[str, Any]]:
    """Messages of the chat that still carry a visit's "log it" button."""
    return [
        message
        for message in harness.api.messages_to(CADRE_TG)
        if any(
            isinstance(action := parse_action(b.get("callback_data", "")), VisitStep)
            and action.action == "ok"
            for b in iter_buttons(message)
        )
    ]


async def _card_for_today(harness: Harness, code: str) -> dict[str, Any]:
    """/visit, the household, today: the confirm card (the picker's message, edited)."""
    ids = await harness.household_ids()
    user = harness.api.get_user(CADRE_TG)
    [picker] = await harness.say(CADRE_TG, "/visit")
    user.press(picker, button_for(picker, PickHousehold, household_id=ids[code]))
    dated = await harness.api.wait_for_edit(CADRE_TG, picker["message_id"])
    user.press(dated, button_for(dated, PickDate, days_ago=0))
    return await harness.api.wait_for_edit(CADRE_TG, picker["message_id"])


async def test_after_a_note_only_the_new_card_has_live_buttons(cadre: Harness) -> None:
    card = await _card_for_today(cadre, "H002")
    user = cadre.api.get_user(CADRE_TG)
    user.press(card, button_for(card, VisitStep, action="note"))
    await cadre.api.wait_for_messages(CADRE_TG)  # the question
    _noted, new_card = await cadre.say(CADRE_TG, "孩子已返校", count=2)
    await cadre.api.wait_for_edit(CADRE_TG, card["message_id"])  # the old card's buttons go
    assert [m["message_id"] for m in live_cards(cadre)] == [new_card["message_id"]]
    assert "孩子已返校" in new_card["text"]
    # A photo brings the card below again, still one live card.
    user.send_photo()
    [newest] = await cadre.api.wait_for_messages(CADRE_TG)
    await cadre.api.wait_for_edit(CADRE_TG, new_card["message_id"])
    assert [m["message_id"] for m in live_cards(cadre)] == [newest["message_id"]]
    user.press(newest, button_for(newest, VisitStep, action="ok"))
    await cadre.api.wait_for_edit(CADRE_TG, newest["message_id"])
    [visit] = await cadre.visits()
    assert visit.note == "孩子已返校"


async def test_a_stale_tap_is_answered_with_a_toast_and_edits_nothing(cadre: Harness) -> None:
    card = await _card_for_today(cadre, "H002")
    user = cadre.api.get_user(CADRE_TG)
    user.press(card, button_for(card, VisitStep, action="ok"))
    await cadre.api.wait_for_edit(CADRE_TG, card["message_id"])
    versions = len(cadre.api.versions(CADRE_TG, card["message_id"]))
    # The card's "log it" button, as the person's phone may still show it: stale now.
    update = user.forge_callback(card["message_id"], button_for(card, VisitStep, action="ok"))
    answer = await cadre.api.wait_for_callback_answer(update)
    assert answer["text"] == cadre.zh(REFUSALS["stale_button"])[:200]
    assert not answer.get("show_alert")
    await cadre.api.wait_idle()
    assert len(cadre.api.versions(CADRE_TG, card["message_id"])) == versions
    assert cadre.api.unread(CADRE_TG) == []
    assert len(await cadre.visits()) == 1
