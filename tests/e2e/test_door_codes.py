"""Door QR codes: the deep link starts the holder's visit; anyone else is told politely."""

from __future__ import annotations

import asyncio
import base64
import re
import zlib
from datetime import date
from pathlib import Path

import pytest
from reportlab.graphics.barcode.qr import QrCodeWidget

from bot.cli import main
from services.files.door_codes import DoorCode, door_codes_pdf, household_link
from tests.e2e.conftest import CADRE_TG, OTHER_CADRE_TG, STRANGER_TG, TOKEN, Harness
from ui.refusals import REFUSALS
from ui.texts import NOT_ON_ROSTER


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


def _pdf_texts(pdf: bytes) -> list[str]:
    """The strings drawn on the pages (reportlab: ASCII85 + Flate streams, UTF-16 CID text).

    No PDF reader is installed, so this reads just what services.files.door_codes writes.
    """
    texts: list[str] = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        data = match.group(1).strip().removesuffix(b"~>")
        content = zlib.decompress(base64.a85decode(data))
        for literal in re.findall(rb"\(((?:[^\\)]|\\.)*)\) Tj", content, re.S):
            raw = re.sub(
                rb"\\([0-7]{1,3}|.)",
                lambda m: (
                    bytes([int(m.group(1), 8)])
                    if m.group(1)[:1].isdigit()
                    else {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(m.group(1), m.group(1))
                ),
                literal,
            )
            texts.append(raw.decode("utf-16-be"))  # every card text is in the CJK font
    return texts


def test_door_codes_pdf_has_a_card_per_household_on_a4_pages() -> None:
    cards = [
        DoorCode(f"H{n:03}", f"户主{n}", "大村", household_link("yaoan_bot", f"H{n:03}"))
        for n in range(1, 18)
    ]
    pdf = door_codes_pdf(cards)
    assert pdf.startswith(b"%PDF")
    assert re.findall(rb"/Count (\d+)", pdf) == [b"3"]  # 17 cards, 8 a page: 3 pages
    assert pdf.count(b"/MediaBox [ 0 0 595.2756 841.8898 ]") == 3  # A4
    for card in cards:
        assert f"(https://t.me/yaoan_bot?start=hh_{card.household_code})".encode() in pdf
    texts = _pdf_texts(pdf)
    assert [t for t in texts if t.startswith("H")] == [
        f"H{n:03}  户主{n}" for n in range(1, 18)
    ]  # code and head's name, in Chinese, under each QR code
    assert texts.count("大村") == 17


def test_qr_payload_is_the_deep_link() -> None:
    assert household_link("yaoan_bot", "H0501001") == "https://t.me/yaoan_bot?start=hh_H0501001"
    widget = QrCodeWidget(household_link("yaoan_bot", "H0501001"))
    assert widget.value == "https://t.me/yaoan_bot?start=hh_H0501001"
    # Telegram's start parameter allows at most 64 characters of A-Z, a-z, 0-9, _ and -.
    payload = household_link("yaoan_bot", "H0501001").split("start=")[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload)


async def test_cli_qr_asks_the_bot_api_for_the_name_and_filters_by_village(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cadrebot qr --village V1` against the running fake server (getMe gives the name)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", harness.app.settings.database_url)
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", harness.app.settings.telegram_api_url)
    output = tmp_path / "v1.pdf"
    code = await asyncio.to_thread(main, ["qr", "--village", "V1", "--output", str(output)])
    assert code == 0
    pdf = output.read_bytes()
    v1 = ["H001", "H002", "H005", "H007", "H008"]  # the seeded households of 大村
    assert re.findall(rb"/Count (\d+)", pdf) == [b"1"]
    links = re.findall(rb"/URI \((https://t\.me/[^)]*)\)", pdf)
    username = (await harness.app.bot.get_me()).username
    assert links == [f"https://t.me/{username}?start=hh_{c}".encode() for c in v1]
    names = [t for t in _pdf_texts(pdf) if t.startswith("H")]
    assert names == ["H001  户主1", "H002  户主2", "H005  户主5", "H007  户主7", "H008  户主8"]


async def test_a_typed_door_code_with_markup_is_refused_safely(harness: Harness) -> None:
    await harness.register(CADRE_TG, "C1")
    [reply] = await harness.say(CADRE_TG, "/start hh_a<b>")
    assert reply["text"] == harness.zh(REFUSALS["not_your_household"], code="?")
    assert await harness.visits() == []
