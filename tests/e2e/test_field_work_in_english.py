"""Issue 3's flows walked end to end by a cadre and a unit head whose Telegram is in English.

Every reply must be English: after removing the roster's own (Chinese) names, no Chinese
character may be left in what the bot sent.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select

from storage.models import MilestoneReport, VillageVisit
from tests.e2e.conftest import CADRE_TG, HEAD_TG, OTHER_CADRE_TG, Harness
from tests.e2e.test_village import _pair
from ui.refusals import REFUSALS

# Names that come from the roster and the plan, not from the catalogs.
DATA = [
    "户主1",
    "户主2",
    "户主3",
    "户主4",
    "户主5",
    "大村",
    "小村",
    "教育股",
    "李明",
    "张伟",
    "完成挂包农户台账",
    "十月核实",
    "栋川镇",
    "光禄镇",
    "小明",
    "栋川小学",
    "台账已整理",
]
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


def assert_english(message: dict[str, Any]) -> None:
    texts = [message.get("text") or message.get("caption") or ""]
    markup = message.get("reply_markup") or {}
    texts += [b["text"] for row in markup.get("inline_keyboard", []) for b in row]
    for text in texts:
        for name in DATA:
            text = text.replace(name, "")
        assert not CJK.search(text), f"Chinese left in an English reply: {text!r}"


def buttons(message: dict[str, Any]) -> list[dict[str, str]]:
    return [b for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def test_cadre_walks_every_field_flow_in_english(harness: Harness) -> None:
    await _pair(harness, "JYG", "V1")
    await harness.register(CADRE_TG, "C1", language="en")
    await harness.register(OTHER_CADRE_TG, "C2", language="en")
    user = harness.api.get_user(CADRE_TG)

    # /mystatus: what I still owe, in English, with working buttons.
    [status] = await harness.say(CADRE_TG, "/mystatus")
    assert_english(status)
    assert "H001" in status["text"]

    # /village guided: date, confirm, logged.
    [ask] = await harness.say(CADRE_TG, "/village")
    assert ask["text"] == harness.en("Your unit's visit to {village}: when was it?", village="大村")
    assert_english(ask)
    user.press_button(ask, harness.en("Today ({date})", date="28 Nov"))
    confirm = await harness.api.wait_for_edit(CADRE_TG, ask["message_id"])
    assert_english(confirm)
    user.press_button(confirm, harness.en("\u2705 Log village visit"))
    done = await harness.api.wait_for_edit(CADRE_TG, ask["message_id"])
    assert_english(done)
    assert "logged" in done["text"]
    async with harness.app.sessionmaker() as session:
        [visit] = (await session.execute(select(VillageVisit))).scalars().all()
    assert visit.visit_date == date(2026, 11, 28)

    # The door code starts a household visit; someone else's is refused in English.
    [door] = await harness.say(CADRE_TG, "/start hh_H002")
    assert door["text"] == harness.en(
        "Visit to {code} {head}. When was it?", code="H002", head="户主2"
    )
    [refused] = await harness.say(OTHER_CADRE_TG, "/start hh_H002")
    assert refused["text"] == harness.en(REFUSALS["not_your_household"], code="H002")
    assert_english(refused)
    await harness.say(CADRE_TG, "/cancel")

    # /ledger: the view, a one-tap edit and the refusal of a future birth date.
    [view] = await harness.say(CADRE_TG, "/ledger H001")
    assert_english(view)
    user.press_button(view, harness.en("\U0001f4dd Needs"))
    [asked] = await harness.api.wait_for_messages(CADRE_TG)
    assert_english(asked)
    [saved] = await harness.say(CADRE_TG, "none")
    assert_english(saved)
    user.press_button(saved, harness.en("\u2705 Confirm reviewed"))
    [reviewed] = await harness.api.wait_for_messages(CADRE_TG)
    assert_english(reviewed)
    assert harness.en("\u2705 Complete for {year}.", year=2026) in reviewed["text"]

    # /compliance in English.
    [compliance] = await harness.say(CADRE_TG, "/compliance")
    assert_english(compliance)
    assert "Village visits in November 2026: 1 of 1 unit (100%)" in compliance["text"]


async def test_unit_head_reports_progress_in_english(harness: Harness) -> None:
    await harness.register(HEAD_TG, "H1", language="en")
    user = harness.api.get_user(HEAD_TG)
    [listing] = await harness.say(HEAD_TG, "/progress")
    assert_english(listing)
    button = next(b for b in buttons(listing) if "Complete household ledgers" in b["text"])
    user.press(listing, button["callback_data"])
    prompt = await harness.api.wait_for_edit(HEAD_TG, listing["message_id"])
    assert_english(prompt)
    [question] = await harness.say(HEAD_TG, "台账已整理")
    assert_english(question)
    user.press_button(question, harness.en("\u2705 Mark done"))
    saved = await harness.api.wait_for_edit(HEAD_TG, question["message_id"])
    assert_english(saved)
    async with harness.app.sessionmaker() as session:
        [report] = (await session.execute(select(MilestoneReport))).scalars().all()
    assert (report.month, report.text, report.done) == ("2026-11", "台账已整理", True)
    [deadlines] = await harness.say(HEAD_TG, "/deadlines")
    assert_english(deadlines)
