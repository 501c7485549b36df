"""Logging household visits: one line, guided with buttons, and every refusal."""

from datetime import date

import pytest

from domain.errors import DomainError
from tests.e2e.conftest import CADRE_TG, NOW, Harness
from ui.refusals import REFUSALS, refusal_text

TODAY = date(2026, 11, 28)


@pytest.fixture
async def cadre(harness: Harness) -> Harness:
    await harness.register(CADRE_TG, "C1")
    return harness


async def test_one_line_visit_defaults_to_today_and_keeps_report_time(cadre: Harness) -> None:
    [reply] = await cadre.say(CADRE_TG, "/visit H001")
    assert "H001" in reply["text"] and "2026年11月28日" in reply["text"]
    [visit] = await cadre.visits()
    assert visit.visit_date == TODAY
    assert visit.reported_at == NOW
    assert visit.note is None


async def test_one_line_visit_with_date_and_note(cadre: Harness) -> None:
    await cadre.say(CADRE_TG, "/visit H002 2026-11-20 讲解了教育资助政策 孩子在校")
    [visit] = await cadre.visits("H002")
    assert visit.visit_date == date(2026, 11, 20)
    assert visit.note == "讲解了教育资助政策 孩子在校"


async def test_note_without_date(cadre: Harness) -> None:
    await cadre.say(CADRE_TG, "/visit H002 家里没人")
    [visit] = await cadre.visits("H002")
    assert (visit.visit_date, visit.note) == (TODAY, "家里没人")


async def test_same_household_same_day_is_one_visit(cadre: Harness) -> None:
    await cadre.say(CADRE_TG, "/visit H001")
    [again] = await cadre.say(CADRE_TG, "/visit H001 2026-11-28 second report")
    expected = cadre.zh(
        "This visit was already logged: {code} {head} on {date}. Nothing changed.",
        code="H001",
        head="户主1",
        date="2026年11月28日",
    )
    assert again["text"] == expected
    assert len(await cadre.visits()) == 1


async def test_redelivered_update_never_duplicates(cadre: Harness) -> None:
    update = cadre.api.user(CADRE_TG, "user").send_text("/visit H003")
    await cadre.api.wait_for_messages(CADRE_TG)
    cadre.api.redeliver(update)
    await cadre.api.wait_for_messages(CADRE_TG)
    assert len(await cadre.visits("H003")) == 1


@pytest.mark.parametrize(
    ("text", "reason", "params"),
    [
        ("/visit H001 2026-11-29", "date_future", {"date": "2026-11-29"}),
        (
            "/visit H001 2026-10-28",
            "date_too_old",
            {"date": "2026-10-28", "days": 30, "earliest": "2026-10-29"},
        ),
        ("/visit H001 2026-02-30", "date_not_real", {"text": "2026-02-30"}),
        ("/visit H005", "not_your_household", {"code": "H005"}),
        ("/visit NOPE", "not_your_household", {"code": "NOPE"}),
    ],
)
async def test_refusals_explain_the_rule_and_change_nothing(
    cadre: Harness, text: str, reason: str, params: dict[str, object]
) -> None:
    [reply] = await cadre.say(CADRE_TG, text)
    assert reply["text"] == refusal_text(DomainError(reason, **params), cadre.zh)
    assert await cadre.visits() == []


async def test_oversized_note_is_refused(cadre: Harness) -> None:
    [reply] = await cadre.say(CADRE_TG, "/visit H001 " + "很" * 1200)
    assert reply["text"] == cadre.zh(REFUSALS["note_too_long"], limit=1000)
    assert await cadre.visits() == []


async def test_back_dated_visit_on_the_limit_day_counts_for_its_own_quarter(
    cadre: Harness,
) -> None:
    await cadre.say(CADRE_TG, "/visit H004 2026-10-29")
    [visit] = await cadre.visits("H004")
    assert visit.visit_date == date(2026, 10, 29)


async def test_guided_visit_in_three_taps(cadre: Harness) -> None:
    [picker] = await cadre.say(CADRE_TG, "/visit")
    buttons = picker["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"].split()[1] for row in buttons] == ["H001", "H002", "H003", "H004"]
    user = cadre.api.user(CADRE_TG, "user")
    user.press(picker, buttons[1][0]["callback_data"])  # H002
    dated = await cadre.api.wait_for_edit(CADRE_TG, picker["message_id"])
    today_button = dated["reply_markup"]["inline_keyboard"][0][0]
    assert "11月28日" in today_button["text"]
    user.press(dated, today_button["callback_data"])
    confirm = await cadre.api.wait_for_edit(CADRE_TG, picker["message_id"])
    assert "H002" in confirm["text"] and "2026年11月28日" in confirm["text"]
    user.press(confirm, confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    done = await cadre.api.wait_for_edit(CADRE_TG, picker["message_id"])
    assert "H002" in done["text"]
    [visit] = await cadre.visits()
    assert (visit.visit_date, visit.note, visit.latitude) == (TODAY, None, None)


async def test_guided_visit_with_typed_date_location_and_note(cadre: Harness) -> None:
    user = cadre.api.user(CADRE_TG, "user")
    [picker] = await cadre.say(CADRE_TG, "/visit")
    user.press(picker, picker["reply_markup"]["inline_keyboard"][2][0]["callback_data"])  # H003
    dated = await cadre.api.wait_for_edit(CADRE_TG, picker["message_id"])
    user.press(dated, dated["reply_markup"]["inline_keyboard"][1][1]["callback_data"])  # other
    await cadre.api.wait_for_edit(CADRE_TG, picker["message_id"])

    # A wrong date is refused and the flow waits for a better one.
    [refusal] = await cadre.say(CADRE_TG, "2026-12-01")
    assert refusal["text"] == cadre.zh(REFUSALS["date_future"], date="2026年12月1日")
    [confirm] = await cadre.say(CADRE_TG, "2026-11-15")
    assert "2026年11月15日" in confirm["text"]

    user.press(confirm, confirm["reply_markup"]["inline_keyboard"][1][0]["callback_data"])  # loc
    [ask] = await cadre.api.wait_for_messages(CADRE_TG)
    assert ask["reply_markup"]["keyboard"][0][0]["request_location"] is True
    user.send_location(25.5051, 101.2386, horizontal_accuracy=12.0)
    noted, confirm = await cadre.api.wait_for_messages(CADRE_TG, count=2)

    user.press(confirm, confirm["reply_markup"]["inline_keyboard"][1][1]["callback_data"])  # note
    await cadre.api.wait_for_messages(CADRE_TG)
    noted, confirm = await cadre.say(CADRE_TG, "孩子已返校", count=2)
    assert "孩子已返校" in confirm["text"]
    user.press(confirm, confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    await cadre.api.wait_for_edit(CADRE_TG, confirm["message_id"])

    [visit] = await cadre.visits()
    assert visit.visit_date == date(2026, 11, 15)
    assert (visit.latitude, visit.longitude, visit.accuracy_m) == (25.5051, 101.2386, 12.0)
    assert visit.note == "孩子已返校"


async def test_forged_button_for_someone_elses_household_is_refused(cadre: Harness) -> None:
    [picker] = await cadre.say(CADRE_TG, "/visit")
    async with cadre.app.sessionmaker() as session:
        from sqlalchemy import select

        from storage.models import Household

        other_id = (
            await session.execute(select(Household.id).where(Household.code == "H005"))
        ).scalar_one()
    update = cadre.api.user(CADRE_TG, "user").forge_callback(picker["message_id"], f"vh:{other_id}")
    answer = await cadre.api.wait_for_callback_answer(update)
    assert answer["text"] == cadre.zh(REFUSALS["household_not_yours"])[:200]
    assert answer["show_alert"] is True
    assert await cadre.visits() == []


@pytest.mark.parametrize("data", ["vh:notanumber", "zz:1", "vs:ok"])
async def test_garbage_or_stale_buttons_are_refused(cadre: Harness, data: str) -> None:
    [picker] = await cadre.say(CADRE_TG, "/visit")
    update = cadre.api.user(CADRE_TG, "user").forge_callback(picker["message_id"], data)
    answer = await cadre.api.wait_for_callback_answer(update)
    assert answer["text"] == cadre.zh(REFUSALS["stale_button"])[:200]
    assert await cadre.visits() == []


async def test_cancel_leaves_nothing_logged(cadre: Harness) -> None:
    user = cadre.api.user(CADRE_TG, "user")
    [picker] = await cadre.say(CADRE_TG, "/visit")
    user.press(picker, picker["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    await cadre.api.wait_for_edit(CADRE_TG, picker["message_id"])
    [reply] = await cadre.say(CADRE_TG, "/cancel")
    assert reply["text"] == cadre.zh("Cancelled. Nothing was logged.")
    assert await cadre.visits() == []


async def test_households_lists_last_visit_and_coverage(cadre: Harness) -> None:
    await cadre.say(CADRE_TG, "/visit H002 2026-11-20")
    [listing] = await cadre.say(CADRE_TG, "/households")
    text = listing["text"]
    assert "2026年第四季度" in text and "1" in text
    lines = text.splitlines()
    h002 = next(line for line in lines if "H002" in line)
    assert h002.startswith("\u2713") and "2026年11月20日" in h002
    assert next(line for line in lines if "H001" in line).startswith("\u25cb")
    assert "H005" not in text


async def test_refusal_echoing_html_characters_is_escaped(cadre: Harness) -> None:
    [reply] = await cadre.say(CADRE_TG, "/visit a<b>")
    assert reply["text"] == cadre.zh(REFUSALS["not_your_household"], code="a<b>")
    assert await cadre.visits() == []


async def test_one_line_visit_dated_yesterday_by_word(cadre: Harness) -> None:
    """昨天 is the date (yesterday in the plan's zone), not the start of the note; the
    confirmation echoes the note."""
    [reply] = await cadre.say(CADRE_TG, "/visit H001 昨天 讲政策")
    [visit] = await cadre.visits("H001")
    assert (visit.visit_date, visit.note) == (date(2026, 11, 27), "讲政策")
    assert "2026年11月27日" in reply["text"]
    assert reply["text"].endswith("\n备注：讲政策")
    await cadre.say(CADRE_TG, "/visit H002 Yesterday")
    await cadre.say(CADRE_TG, "/visit H003 前天 家里没人")
    assert [(v.visit_date, v.note) for v in await cadre.visits("H002")] == [
        (date(2026, 11, 27), None)
    ]
    assert [(v.visit_date, v.note) for v in await cadre.visits("H003")] == [
        (date(2026, 11, 26), "家里没人")
    ]


async def test_codes_are_accepted_in_lower_case(cadre: Harness) -> None:
    [reply] = await cadre.say(CADRE_TG, "/visit h001 2026-11-27 讲政策")
    assert reply["text"].startswith("\u2705") and "H001" in reply["text"]
    [visit] = await cadre.visits("H001")
    assert visit.visit_date == date(2026, 11, 27)
    [ledger] = await cadre.say(CADRE_TG, "/ledger h002")
    assert "H002" in ledger["text"] and ledger.get("reply_markup")
    [door] = await cadre.say(CADRE_TG, "/start hh_h003")
    assert door["text"] == cadre.zh(
        "Visit to {code} {head}. When was it?", code="H003", head="户主3"
    )


async def test_a_typed_date_that_is_not_one_gets_today_as_the_example(cadre: Harness) -> None:
    user = cadre.api.user(CADRE_TG, "user")
    [picker] = await cadre.say(CADRE_TG, "/visit")
    user.press(picker, picker["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    dated = await cadre.api.wait_for_edit(CADRE_TG, picker["message_id"])
    assert [b["text"] for row in dated["reply_markup"]["inline_keyboard"] for b in row] == [
        "今天（11月28日）",
        "昨天（11月27日）",
        cadre.zh("Another date"),
    ]
    user.press(dated, dated["reply_markup"]["inline_keyboard"][1][1]["callback_data"])
    await cadre.api.wait_for_edit(CADRE_TG, picker["message_id"])
    [refusal] = await cadre.say(CADRE_TG, "上周")
    assert refusal["text"] == cadre.zh(REFUSALS["date_format"], text="上周", example="2026-11-28")
    assert "2026-11-28。" in refusal["text"]
    [confirm] = await cadre.say(CADRE_TG, "昨天")  # a day word works here too
    assert "2026年11月27日" in confirm["text"]


async def test_confirmation_ends_with_a_full_stop_and_echoes_the_note(cadre: Harness) -> None:
    user = cadre.api.user(CADRE_TG, "user")
    [picker] = await cadre.say(CADRE_TG, "/visit")
    user.press(picker, picker["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    dated = await cadre.api.wait_for_edit(CADRE_TG, picker["message_id"])
    user.press(dated, dated["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    confirm = await cadre.api.wait_for_edit(CADRE_TG, picker["message_id"])
    user.press(confirm, confirm["reply_markup"]["inline_keyboard"][1][1]["callback_data"])  # note
    await cadre.api.wait_for_messages(CADRE_TG)
    _noted, confirm = await cadre.say(CADRE_TG, "讲政策", count=2)
    user.send_photo(b"\xff\xd8door\xff\xd9")
    [confirm] = await cadre.api.wait_for_messages(CADRE_TG)
    user.press(confirm, confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    done = await cadre.api.wait_for_edit(CADRE_TG, confirm["message_id"])
    assert done["text"].endswith("\n备注：讲政策\n已附照片：1 张。")
