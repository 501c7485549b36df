"""Every string the bot says has a Chinese translation, and placeholders survive it."""

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from ui.i18n import Catalogs

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_catalogs_cover_every_extracted_string() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "i18n.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zh_translations_keep_their_placeholders() -> None:
    with (ROOT / "ui/locales/zh/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="zh")
    # A plural entry (id and string are tuples) keeps the plural form's placeholders.
    wrong = [
        message.id
        for message in catalog
        if message.id
        and set(PLACEHOLDER.findall(str(message.id)))
        != set(PLACEHOLDER.findall(str(message.string)))
    ]
    assert wrong == []


def test_default_is_chinese_and_english_falls_back_to_source() -> None:
    catalogs = Catalogs.load("zh")
    assert catalogs.translator(None)("Another date") == "其他日期"
    assert catalogs.translator("en")("Another date") == "Another date"
    assert catalogs.translator("fr").locale == "zh"
    assert catalogs.locale_for(None, "en-GB") == "en"
    assert catalogs.locale_for(None, "ru") == "zh"
    assert catalogs.locale_for("zh", "en") == "zh"
