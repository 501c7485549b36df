"""Replies meet Telegram as it is: a 429 is waited out and the reply arrives once, a double tap
is no error, every callback query is answered once even when its handler fails, control
characters are refused before any handler, and a forged id answers the same whether the row
exists or not."""

from __future__ import annotations

import pytest

from fakeapi.methods import NOT_MODIFIED
from storage.models import DropoutCase, HouseholdVisit, Member
from tests.e2e.conftest import CADRE_TG, OTHER_CADRE_TG, SUPERVISOR_TG, Harness
from tests.e2e.db_reads import rows_of
from ui.actions import (
    CaseOpen,
    DropoutChild,
    DropoutHousehold,
    HouseholdPage,
    LedgerMember,
    LedgerOpen,
    NoticeFiles,
    PickHousehold,
    PickLanguage,
    StatusVisit,
)
from ui.refusals import REFUSALS
from ui.views.language import LANGUAGE_SET

MISSING_ID = 987_654


@pytest.fixture
async def cadre(harness: Harness) -> Harness:
    await harness.register(CADRE_TG, "C1")
    return harness


def expect_rejection(harness: Harness, words: str) -> None:
    """Telegram's 400 that the test itself provoked: expected once, then not held against the
    bot by the harness (which fails on any other 4xx)."""
    matching = [r for r in harness.api.rejections if words in r]
    assert len(matching) == 1, harness.api.rejections
    harness.api.rejections.remove(matching[0])


def statuses(harness: Harness, method: str, chat_id: int) -> list[int]:
    return [c.status for c in harness.api.calls_of(method) if c.params.get("chat_id") == chat_id]


async def test_a_reply_answered_429_is_sent_again_after_retry_after_and_arrives_once(
    cadre: Harness,
) -> None:
    cadre.api.fail_next("sendMessage", 429, retry_after=1, chat_id=CADRE_TG)
    [reply] = await cadre.say(CADRE_TG, "/visit H001 2026-11-20")
    expected = cadre.zh(
        "\u2705 Visit logged: {code} {head} on {date}. {quarter} is covered for this household.",
        code="H001",
        head="户主1",
        date="2026年11月20日",
        quarter="2026年第四季度",
    )
    assert reply["text"] == expected  # the confirmation, not "already logged"
    await cadre.api.wait_idle()
    assert cadre.api.unread(CADRE_TG) == []  # once
    assert statuses(cadre, "sendMessage", CADRE_TG)[-2:] == [429, 200]
    assert len(await rows_of(cadre, HouseholdVisit)) == 1


async def test_a_double_tap_on_the_current_language_is_answered_without_error(
    cadre: Harness,
) -> None:
    [menu] = await cadre.say(CADRE_TG, "/lang")
    user = cadre.api.get_user(CADRE_TG)
    data = PickLanguage(code="zh").pack()
    first, second = user.press(menu, data), user.press(menu, data)  # before any reply
    await cadre.api.wait_for_callback_answer(first)
    await cadre.api.wait_for_callback_answer(second)
    await cadre.api.wait_idle()
    versions = cadre.api.versions(CADRE_TG, menu["message_id"])
    assert [v["text"] for v in versions[1:]] == [cadre.zh(LANGUAGE_SET)]
    # The second, identical edit is not even sent (Telegram would refuse it as not modified).
    assert statuses(cadre, "editMessageText", CADRE_TG) == [200]
    assert cadre.api.unread(CADRE_TG) == []  # no failure message


async def test_the_page_indicator_of_the_household_picker_is_answered(cadre: Harness) -> None:
    [picker] = await cadre.say(CADRE_TG, "/visit")
    user = cadre.api.get_user(CADRE_TG)
    update = user.forge_callback(picker["message_id"], HouseholdPage(page=0).pack())
    answer = await cadre.api.wait_for_callback_answer(update)
    assert "text" not in answer
    await cadre.api.wait_idle()
    assert statuses(cadre, "editMessageText", CADRE_TG) == []  # the same page: nothing to send
    assert cadre.api.unread(CADRE_TG) == []


async def test_telegrams_message_is_not_modified_is_taken_as_done(cadre: Harness) -> None:
    """As after a restart, when the bot no longer knows what the message shows."""
    [menu] = await cadre.say(CADRE_TG, "/lang")
    cadre.api.fail_next("editMessageText", 400, chat_id=CADRE_TG, description=NOT_MODIFIED)
    update = cadre.api.get_user(CADRE_TG).press(menu, PickLanguage(code="zh").pack())
    answer = await cadre.api.wait_for_callback_answer(update)
    assert "text" not in answer
    await cadre.api.wait_idle()
    expect_rejection(cadre, "message is not modified")
    assert cadre.api.unread(CADRE_TG) == []  # no failure message


async def test_a_handler_that_fails_still_answers_its_callback_once(cadre: Harness) -> None:
    [picker] = await cadre.say(CADRE_TG, "/visit")
    cadre.api.fail_next(
        "editMessageText", 400, chat_id=CADRE_TG, description="Bad Request: message can't be edited"
    )
    first = picker["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    update = cadre.api.get_user(CADRE_TG).press(picker, first)
    await cadre.api.wait_for_callback_answer(update)
    await cadre.api.wait_idle()
    expect_rejection(cadre, "message can't be edited")  # and no second answer was refused
    assert await rows_of(cadre, HouseholdVisit) == []


async def test_a_failed_notice_upload_is_told_and_its_button_answered_once(
    harness: Harness,
) -> None:
    await harness.register(SUPERVISOR_TG, "S1")
    [menu] = await harness.say(SUPERVISOR_TG, "/lang")  # any message to hang the button on
    harness.api.fail_next(
        "sendDocument", 400, chat_id=SUPERVISOR_TG, description="Bad Request: file is too big"
    )
    data = NoticeFiles(month="2026-11").pack()
    update = harness.api.get_user(SUPERVISOR_TG).forge_callback(menu["message_id"], data)
    answer = await harness.api.wait_for_callback_answer(update)
    assert "text" not in answer
    [told] = await harness.api.wait_for_messages(SUPERVISOR_TG)  # not silence
    assert "document" not in told and told["text"]
    await harness.api.wait_idle()
    expect_rejection(harness, "file is too big")  # and no second answer was refused
    assert [c.status for c in harness.api.calls_of("answerCallbackQuery")] == [200]


async def nul_in_a_visit_note(harness: Harness) -> None:
    await harness.register(CADRE_TG, "C1")
    [reply] = await harness.say(CADRE_TG, "/visit H001 2026-11-20 讲解\x00政策")
    assert reply["text"] == harness.zh(REFUSALS["control_characters"], char="U+0000")
    assert await rows_of(harness, HouseholdVisit) == []
    [fine] = await harness.say(CADRE_TG, "/visit H001 2026-11-20 讲解\t政策\n第二行")
    assert "H001" in fine["text"]
    [visit] = await rows_of(harness, HouseholdVisit)
    assert visit.note == "讲解\t政策\n第二行"  # tab and line feed are text


async def test_nul_in_a_visit_note_is_refused_with_the_rule_on_sqlite(harness: Harness) -> None:
    await nul_in_a_visit_note(harness)


async def test_nul_in_a_visit_note_is_refused_with_the_rule_on_postgres(
    pg_harness: Harness,
) -> None:
    """PostgreSQL refuses NUL in text: before the guard, the update crashed unanswered."""
    await nul_in_a_visit_note(pg_harness)


async def test_control_characters_in_a_guided_answer_a_caption_or_button_data(
    cadre: Harness,
) -> None:
    user = cadre.api.get_user(CADRE_TG)
    refusal = cadre.zh(REFUSALS["control_characters"], char="U+001B")
    [reply] = await cadre.say(CADRE_TG, "/dropout H001 小\x1b明")
    assert reply["text"] == refusal
    user.send_photo(caption="门口\x1b")
    [reply] = await cadre.api.wait_for_messages(CADRE_TG)
    assert reply["text"] == refusal
    [picker] = await cadre.say(CADRE_TG, "/visit")
    update = user.forge_callback(picker["message_id"], "vh:1\x1b")
    answer = await cadre.api.wait_for_callback_answer(update)
    assert answer["text"] == refusal[:200] and answer["show_alert"] is True
    assert await rows_of(cadre, HouseholdVisit) == []
    assert await rows_of(cadre, DropoutCase) == []
    assert [m.name for m in await rows_of(cadre, Member)] == []


async def _forged_answers(harness: Harness, user_id: int, *data: str) -> list[str]:
    """What the user reads after sending each callback data from a message of theirs."""
    [anchor] = await harness.say(user_id, "/help")
    user = harness.api.get_user(user_id)
    texts = []
    for item in data:
        answer = await harness.api.wait_for_callback_answer(
            user.forge_callback(anchor["message_id"], item)
        )
        texts.append(str(answer.get("text")))
    return texts


async def test_forged_household_ids_answer_the_same_whether_they_exist_or_not(
    cadre: Harness,
) -> None:
    ids = await cadre.household_ids()
    other, missing = ids["H005"], MISSING_ID
    for kind in (PickHousehold, StatusVisit, LedgerOpen, DropoutHousehold):
        someone_elses, nobodys = await _forged_answers(
            cadre, CADRE_TG, kind(household_id=other).pack(), kind(household_id=missing).pack()
        )
        assert someone_elses == nobodys == cadre.zh(REFUSALS["household_not_yours"])[:200], kind
        assert "H005" not in someone_elses and "户主5" not in someone_elses
    # Members: someone else's child and a member id that does not exist.
    async with cadre.app.sessionmaker() as session, session.begin():
        session.add(Member(household_id=other, name="小刚"))
    [member] = [m.id for m in await rows_of(cadre, Member) if m.name == "小刚"]
    for kind in (LedgerMember, DropoutChild):
        someone_elses, nobodys = await _forged_answers(
            cadre, CADRE_TG, kind(member_id=member).pack(), kind(member_id=missing).pack()
        )
        assert someone_elses == nobodys == cadre.zh(REFUSALS["household_not_yours"])[:200], kind
    assert await rows_of(cadre, HouseholdVisit) == []


async def test_a_forged_case_id_answers_the_same_whether_it_exists_or_not(
    cadre: Harness,
) -> None:
    await cadre.say(CADRE_TG, "/dropout H001 小明 贫困")
    [case] = await rows_of(cadre, DropoutCase)
    await cadre.register(OTHER_CADRE_TG, "C2")
    someone_elses, nobodys = await _forged_answers(
        cadre, OTHER_CADRE_TG, CaseOpen(case_id=case.id).pack(), CaseOpen(case_id=MISSING_ID).pack()
    )
    assert someone_elses == nobodys == cadre.zh(REFUSALS["dropout_case_hidden"])[:200]
    assert "小明" not in someone_elses and "H001" not in someone_elses
