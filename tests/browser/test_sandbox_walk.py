"""A cadre's and a supervisor's day in the sandbox's chat page, in a real (headless) browser.

The walk also takes the screenshots of the guides (docs/guide-zh.md, docs/guide-en.md): into a
temporary folder, or into docs/img/<lang>/ with CADREBOT_GUIDE_SCREENSHOTS=1. The guides may
show only images this walk takes, and every line they quote from the bot (a `> 🤖 ` line)
must have appeared on the page during the walk, so guide and bot cannot drift apart.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.browser.sandbox_chat import (
    DOCS,
    SCREENSHOTS_ENV,
    ChatPage,
    running_sandbox,
    start_browser,
)

LANGS = ("zh", "en")
# The screenshots each walk takes, in order; the guides may show these and no others.
SHOTS = {
    "zh": (
        "stranger",
        "help",
        "mystatus",
        "one-tap",
        "households",
        "visit-confirm",
        "visit-logged",
        "village",
        "ledger",
        "dropout",
        "reminders",
        "compliance",
        "notice",
        "schooling",
        "case",
    ),
}
# The sandbox's stranger has a Chinese Telegram and cannot change the bot's language: the English
# guide has no picture of them.
SHOTS["en"] = tuple(name for name in SHOTS["zh"] if name != "stranger")
QUOTE = re.compile(r"^> 🤖 (.+)$", re.MULTILINE)
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")

# What the walk waits for and presses, in each language: short, stable pieces of the bot's words.
WORDS = {
    "zh": {
        "help": "/mystatus",
        "mystatus": "我还欠什么",
        "one_tap_done": "走访已登记",
        "households": "我的挂包户",
        "which_household": "哪一户",
        "when": "哪天",
        "another_date": "其他日期",
        "confirm_visit": "登记这次走访吗",
        "location_asked": "位置",
        "send_location": "发送我的位置",
        "location_attached": "位置",
        "photo_asked": "照片",
        "photo_attached": "照片",
        "visit_logged": "走访已登记",
        "today": "今天",
        "what_discussed": "研究",
        "discussed": "研究控辍保学和台账完善",
        "confirm_village": "登记本单位的到村工作",
        "village_logged": ("到村工作已登记", "已登记"),
        "ledger_list": "请选择挂包户",
        "ledger": "家庭成员",
        "dropout_households": "辍学",
        "add_child": "➕",
        "child_name_asked": "姓名",
        "child": "王小红",
        "birth_asked": "出生日期",
        "why": "为什么",
        "reason": "务工",
        "since": "什么时候",
        "note_asked": "备注",
        "note": "跟父母外出务工，家长说下学期回来",
        "report": "上报",
        "case_opened": "个案 #",
        "reminders": "我的提醒",
        "compliance": "全县",
        "notice": "月通报",
        "schooling": "控辍保学",
        "cases": "个案",
        "case": "📁",
    },
    "en": {
        "help": "/mystatus",
        "mystatus": "What I still owe",
        "one_tap_done": "Visit logged",
        "households": "My households",
        "which_household": "Which household",
        "when": "When was it",
        "another_date": "Another date",
        "confirm_visit": "Log this visit?",
        "location_asked": "location",
        "send_location": "Send my location",
        "location_attached": "Location",
        "photo_asked": "photo",
        "photo_attached": "Photos",
        "visit_logged": "Visit logged",
        "today": "Today",
        "what_discussed": "discuss",
        "discussed": "Talked about keeping children in school and the ledgers",
        "confirm_village": "Log your unit's",
        "village_logged": ("logged", "already"),
        "ledger_list": "Pick a household",
        "ledger": "Members",
        "dropout_households": "out of school",
        "add_child": "➕",
        "child_name_asked": "name",
        "child": "Wang Xiaohong",
        "birth_asked": "birth",
        "why": "Why",
        "reason": "Work",
        "since": "Since when",
        "note_asked": "note",
        "note": "Went to work with the parents; back next term, they say",
        "report": "Report",
        "case_opened": "case",
        "reminders": "My reminders",
        "compliance": "County",
        "notice": "Monthly notice",
        "schooling": "Schooling",
        "cases": "dropout cases",
        "case": "📁",
    },
}
# The sandbox's stranger always reads Chinese (see SHOTS).
STRANGER_WORDS = {"roster": "花名册", "bad_code": "邀请码"}


def guide(lang: str) -> str:
    return (DOCS / f"guide-{lang}.md").read_text(encoding="utf-8")


def guide_images(lang: str) -> list[str]:
    return IMAGE.findall(guide(lang))


def guide_quotes(lang: str) -> list[str]:
    return [quote.strip() for quote in QUOTE.findall(guide(lang))]


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGS)
def test_a_day_in_the_sandbox(lang: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    driver = start_browser(tmp_path / "profile", monkeypatch)
    shots_dir = DOCS / "img" / lang if os.environ.get(SCREENSHOTS_ENV) else tmp_path / "shots"
    try:
        with running_sandbox(tmp_path) as sandbox:
            page = ChatPage(driver, sandbox, shots_dir)
            page.open()
            walk(page, lang, tmp_path)
            assert not sandbox.errors(), "the bot logged errors:\n" + "\n".join(sandbox.errors())
    finally:
        driver.quit()
    assert tuple(page.shots) == SHOTS[lang]
    shown = "\n".join(page.seen)
    missing = [quote for quote in guide_quotes(lang) if quote not in shown]
    assert not missing, f"guide-{lang}.md quotes words the bot did not say: {missing}"


# After the walk, which (with CADREBOT_GUIDE_SCREENSHOTS=1) makes the images it checks.
@pytest.mark.parametrize("lang", LANGS)
def test_the_guide_shows_only_the_walks_screenshots(lang: str) -> None:
    images = guide_images(lang)
    assert images, f"guide-{lang}.md shows no screenshot"
    expected = {f"img/{lang}/{name}.png" for name in SHOTS[lang]}
    assert set(images) <= expected, f"not taken by the walk: {set(images) - expected}"
    missing = [path for path in images if not (DOCS / path).is_file()]
    assert not missing, f"run the walk with {SCREENSHOTS_ENV}=1 to make {missing}"
    assert guide_quotes(lang), f"guide-{lang}.md quotes no bot text (lines starting '> 🤖 ')"


def walk(page: ChatPage, lang: str, tmp: Path) -> None:
    w = WORDS[lang]

    def shot(name: str, top: object) -> None:
        if name in SHOTS[lang]:
            page.shot(name, top)

    # Someone not on the roster.
    page.choose("stranger")
    page.send("/start", STRANGER_WORDS["roster"])
    first = page.last_user_bubble()
    page.send("/start 23456789AB", STRANGER_WORDS["bad_code"])
    shot("stranger", first)

    # The cadre: what they owe, a visit in one tap, their households.
    page.choose("cadre")
    if lang != "zh":
        page.send(f"/lang {lang}", "English")
    page.send("/start", w["help"])
    shot("help", page.last_user_bubble())
    status = page.send("/mystatus", w["mystatus"])
    shot("mystatus", page.last_user_bubble())
    page.press("✅", w["one_tap_done"], bubble=status)
    shot("one-tap", status)
    page.send("/households", w["households"])
    shot("households", page.last_user_bubble())

    # A visit logged late, with a location and a photo.
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    page.send("/visit", w["which_household"])
    page.press("○", w["when"])
    page.press(w["another_date"], "YYYY-MM-DD")
    page.send((today - timedelta(days=2)).isoformat(), w["confirm_visit"])
    page.press("📍", w["location_asked"])
    page.driver.execute_cdp_cmd(
        "Emulation.setGeolocationOverride",
        {"latitude": 25.5051, "longitude": 101.2386, "accuracy": 30},
    )
    page.driver.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": page.sandbox.url, "permissions": ["geolocation"]},
    )
    page.press(w["send_location"], w["location_attached"], keyboard=True)
    page.press("📷", w["photo_asked"])
    photo = tmp / "door.jpg"
    _photo(photo)
    confirm = page.send_photo(photo, w["photo_attached"])
    shot("visit-confirm", page.last_user_bubble())
    page.press("✅", w["visit_logged"], bubble=confirm)
    shot("visit-logged", confirm)

    # The unit's visit to its village.
    page.send("/village", w["when"])
    first = page.last_user_bubble()
    page.press(w["today"], w["confirm_village"])
    page.press("💬", w["what_discussed"])
    confirm = page.send(w["discussed"], w["confirm_village"])
    page.press("✅", *w["village_logged"], bubble=confirm)
    shot("village", first)

    # The ledger of one household still incomplete.
    page.send("/ledger", w["ledger_list"])
    first = page.last_user_bubble()
    page.press("○", w["ledger"])
    shot("ledger", first)

    # A child out of school, added to the household on the way.
    page.send("/dropout", w["dropout_households"])
    page.press("H0", w["add_child"])
    page.press(w["add_child"], w["child_name_asked"])
    page.send(w["child"], w["birth_asked"])
    page.send("2013-05-06", w["why"])
    page.press(w["reason"], w["since"])
    page.press(w["today"], w["note_asked"])
    first = page.send(w["note"], w["report"])
    page.press("✅", w["case_opened"], bubble=first)
    shot("dropout", first)

    page.send("/reminders", w["reminders"])
    shot("reminders", page.last_user_bubble())

    # The supervisor: coverage, the monthly notice with its workbook and chart, schooling rates,
    # dropout cases.
    page.choose("supervisor")
    if lang != "zh":
        page.send(f"/lang {lang}", "English")
    page.send("/compliance", w["compliance"])
    shot("compliance", page.last_user_bubble())
    page.send("/notice", w["notice"])
    first = page.last_user_bubble()
    page.wait_for_bubble(".xlsx")
    page.wait_for_image()
    shot("notice", first)
    page.send("/schooling", w["schooling"])
    shot("schooling", page.last_user_bubble())
    page.send("/cases", w["cases"])
    first = page.last_user_bubble()
    page.press("#", w["case"])
    shot("case", first)


def _photo(path: Path) -> None:
    """A small picture to attach, as a phone's camera would."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (196, 214, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle((90, 70, 230, 210), fill=(170, 120, 80))
    draw.polygon([(70, 80), (160, 20), (250, 80)], fill=(150, 60, 50))
    draw.rectangle((140, 140, 180, 210), fill=(90, 60, 40))
    image.save(path, quality=85)
