"""How the bot writes quarters, months, dates and counts, in Chinese and in English."""

from tests.e2e.conftest import CADRE_TG, Harness


async def test_mystatus_and_compliance_show_the_quarter_as_a_chinese_reader_expects(
    harness: Harness,
) -> None:
    await harness.register(CADRE_TG, "C1")
    [status] = await harness.say(CADRE_TG, "/mystatus")
    assert "2026年第四季度" in status["text"] and "2026-Q4" not in status["text"]
    assert "我还欠什么——2026年11月28日" in status["text"]
    # Typing the quarter the old way still works; the answer shows it the Chinese way.
    [report] = await harness.say(CADRE_TG, "/compliance 2026-Q4")
    assert report["text"].startswith("我的走访覆盖情况，2026年第四季度")
    assert not any(c in report["text"] for c in ",:;?()")


async def test_a_typed_date_prompt_gives_an_example(harness: Harness) -> None:
    await harness.register(CADRE_TG, "C1")
    user = harness.api.user(CADRE_TG, "user")
    [picker] = await harness.say(CADRE_TG, "/visit")
    user.press(picker, picker["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    dated = await harness.api.wait_for_edit(CADRE_TG, picker["message_id"])
    assert dated["reply_markup"]["inline_keyboard"][0][0]["text"] == "今天（11月28日）"
    user.press(dated, dated["reply_markup"]["inline_keyboard"][1][1]["callback_data"])  # other
    prompt = await harness.api.wait_for_edit(CADRE_TG, picker["message_id"])
    assert prompt["text"] == "请按 YYYY-MM-DD 格式输入走访日期，例如 2026-11-28。"


async def test_english_counts_and_periods(harness: Harness) -> None:
    await harness.register(CADRE_TG, "C1", language="en")
    [status] = await harness.say(CADRE_TG, "/mystatus")
    text = status["text"]
    assert "Q4 2026" in text and "2026-Q4" not in text
    assert "(in 2 days)" in text and "(\u26a0\ufe0f overdue by 28 days)" in text
    assert "(2 days left)" in text
    assert " 1 days" not in text and "day(s)" not in text
