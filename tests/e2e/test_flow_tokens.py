"""A button acts only on the draft it shows: an older card never applies to a newer one."""

from __future__ import annotations

from datetime import date

import pytest

from fakeapi.state import JsonDict
from storage.models import DropoutCase
from tests.e2e.buttons import button_for
from tests.e2e.conftest import CADRE_TG, Harness
from tests.e2e.db_reads import member_named, rows_of
from ui.actions import (
    DropoutConfirm,
    DropoutHousehold,
    DropoutNewChild,
    DropoutReason,
    DropoutSince,
    DropoutSkip,
)
from ui.refusals import REFUSALS


@pytest.fixture
async def cadre(harness: Harness) -> Harness:
    await harness.register(CADRE_TG, "C1")
    return harness


async def _confirm_card(cadre: Harness, row: int) -> JsonDict:
    """`/visit` -> the household on `row` -> today: its confirm card."""
    user = cadre.api.user(CADRE_TG, "user")
    [picker] = await cadre.say(CADRE_TG, "/visit")
    user.press(picker, picker["reply_markup"]["inline_keyboard"][row][0]["callback_data"])
    dated = await cadre.api.wait_for_edit(CADRE_TG, picker["message_id"])
    user.press(dated, dated["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    return await cadre.api.wait_for_edit(CADRE_TG, picker["message_id"])


def _button(card: JsonDict, row: int, column: int) -> str:
    data = card["reply_markup"]["inline_keyboard"][row][column]["callback_data"]
    assert isinstance(data, str)
    return data


async def test_an_older_cards_confirm_never_logs_the_newer_draft(cadre: Harness) -> None:
    user = cadre.api.user(CADRE_TG, "user")
    first = await _confirm_card(cadre, 0)  # H001, today
    second = await _confirm_card(cadre, 1)  # H002, today: the draft now
    assert "H001" in first["text"] and "H002" in second["text"]

    update = user.press(first, _button(first, 0, 0))  # ✅ on H001's old card
    answer = await cadre.api.wait_for_callback_answer(update)
    assert answer["text"] == cadre.zh(REFUSALS["stale_button"])[:200]
    assert await cadre.visits() == []

    user.press(second, _button(second, 0, 0))  # ✅ on the card of the draft
    await cadre.api.wait_for_edit(CADRE_TG, second["message_id"])
    [visit] = await cadre.visits()
    assert visit.visit_date == date(2026, 11, 28)
    assert [v.household_id for v in await cadre.visits("H002")] == [visit.household_id]


async def test_an_older_cards_cancel_leaves_the_newer_draft_alone(cadre: Harness) -> None:
    user = cadre.api.user(CADRE_TG, "user")
    first = await _confirm_card(cadre, 0)
    second = await _confirm_card(cadre, 1)
    update = user.press(first, _button(first, -1, 0))  # ✖ on the old card
    answer = await cadre.api.wait_for_callback_answer(update)
    assert answer["text"] == cadre.zh(REFUSALS["stale_button"])[:200]
    user.press(second, _button(second, 0, 0))
    await cadre.api.wait_for_edit(CADRE_TG, second["message_id"])
    assert len(await cadre.visits("H002")) == 1


async def test_the_same_household_started_again_takes_only_the_new_cards_buttons(
    cadre: Harness,
) -> None:
    user = cadre.api.user(CADRE_TG, "user")
    first = await _confirm_card(cadre, 0)
    await _confirm_card(cadre, 0)  # H001 again: a new draft with its own token
    update = user.press(first, _button(first, 0, 0))
    answer = await cadre.api.wait_for_callback_answer(update)
    assert answer["text"] == cadre.zh(REFUSALS["stale_button"])[:200]
    assert await cadre.visits() == []


async def _dropout_card(cadre: Harness, code: str, child: str) -> JsonDict:
    """`/dropout` -> `code` -> a new child `child` -> no birth date -> poverty -> today ->
    no note: the confirm card."""
    user = cadre.api.user(CADRE_TG, "user")
    ids = await cadre.household_ids()
    [pick] = await cadre.say(CADRE_TG, "/dropout")
    user.press(pick, button_for(pick, DropoutHousehold, household_id=ids[code]))
    children = await cadre.api.wait_for_edit(CADRE_TG, pick["message_id"])
    user.press(children, button_for(children, DropoutNewChild, household_id=ids[code]))
    await cadre.api.wait_for_edit(CADRE_TG, pick["message_id"])
    [birth] = await cadre.say(CADRE_TG, child)
    user.press(birth, button_for(birth, DropoutSkip, what="birth"))
    reasons = await cadre.api.wait_for_edit(CADRE_TG, birth["message_id"])
    user.press(reasons, button_for(reasons, DropoutReason, reason="poverty"))
    since = await cadre.api.wait_for_edit(CADRE_TG, birth["message_id"])
    user.press(since, button_for(since, DropoutSince, typed=0))
    [note] = await cadre.api.wait_for_messages(CADRE_TG)
    user.press(note, button_for(note, DropoutSkip, what="note"))
    return await cadre.api.wait_for_edit(CADRE_TG, note["message_id"])


async def test_an_older_dropout_card_never_reports_the_newer_draft(cadre: Harness) -> None:
    user = cadre.api.user(CADRE_TG, "user")
    first = await _dropout_card(cadre, "H001", "小甲")
    second = await _dropout_card(cadre, "H002", "小乙")
    update = user.press(first, button_for(first, DropoutConfirm, ok=1))
    answer = await cadre.api.wait_for_callback_answer(update)
    assert answer["text"] == cadre.zh(REFUSALS["stale_button"])[:200]
    assert await rows_of(cadre, DropoutCase) == []
    user.press(second, button_for(second, DropoutConfirm, ok=1))
    await cadre.api.wait_for_messages(CADRE_TG)
    [case] = await rows_of(cadre, DropoutCase)
    assert case.reason == "poverty"
    assert (await member_named(cadre, "小乙")).id == case.member_id
