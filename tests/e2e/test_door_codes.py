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
from services.files.fonts import FontMissing
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


OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
TEXT_OPERATION = re.compile(rb"/(\S+) [\d.]+ Tf|\(((?:[^\\)]|\\.)*)\) Tj", re.S)


def _pdf_objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Each object's dictionary and decoded stream (reportlab: ASCII85 and/or Flate).

    No PDF reader is installed, so this reads just what services.files.door_codes writes.
    """
    objects: dict[int, tuple[bytes, bytes | None]] = {}
    for match in OBJECT.finditer(pdf):
        body = match.group(2)
        stream = STREAM.search(body)
        if stream is None:
            objects[int(match.group(1))] = (body, None)
            continue
        head, data = body[: stream.start()], stream.group(1).strip()
        if b"/ASCII85Decode" in head:
            data = base64.a85decode(data.removesuffix(b"~>"))
        if b"/FlateDecode" in head:
            data = zlib.decompress(data)
        objects[int(match.group(1))] = (head, data)
    return objects


def _unescape(literal: bytes) -> bytes:
    return re.sub(
        rb"\\([0-7]{1,3}|.)",
        lambda m: (
            bytes([int(m.group(1), 8)])
            if m.group(1)[:1].isdigit()
            else {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(m.group(1), m.group(1))
        ),
        literal,
    )


def _pdf_texts(pdf: bytes) -> list[str]:
    """The strings drawn on the pages, read back through each font's ToUnicode map."""
    objects = _pdf_objects(pdf)
    to_unicode: dict[bytes, dict[int, str]] = {}
    for head, _ in objects.values():
        name = re.search(rb"/Name /(\S+)", head)
        cmap = re.search(rb"/ToUnicode (\d+) 0 R", head)
        if b"/Type /Font" in head and name and cmap:
            data = objects[int(cmap.group(1))][1] or b""
            to_unicode[name.group(1)] = {
                int(code, 16): chr(int(char, 16))
                for code, char in re.findall(rb"<([0-9A-F]{2})> <([0-9A-F]{4})>", data)
            }
    texts: list[str] = []
    for _, content in objects.values():
        if content is None or b" Tf" not in content:
            continue
        font: dict[int, str] = {}
        for operation in TEXT_OPERATION.finditer(content):
            if operation.group(1) is not None:
                font = to_unicode[operation.group(1)]
            else:
                texts.append("".join(font[byte] for byte in _unescape(operation.group(2))))
    return texts


def test_door_codes_pdf_embeds_its_chinese_font() -> None:
    """A subset of a TrueType font travels inside the PDF: it prints the same anywhere."""
    cards = [DoorCode("H001", "张三", "大村", household_link("yaoan_bot", "H001"))]
    objects = _pdf_objects(door_codes_pdf(cards))
    fonts = [head for head, _ in objects.values() if re.search(rb"/Type /Font\b", head)]
    assert fonts, "no font in the PDF"
    for head in fonts:  # every font (none left to the printer) has its file embedded
        assert b"/Subtype /TrueType" in head, head[:200]
        descriptor = re.search(rb"/FontDescriptor (\d+) 0 R", head)
        assert descriptor is not None
        embedded = re.search(rb"/FontFile2 (\d+) 0 R", objects[int(descriptor.group(1))][0])
        assert embedded is not None
        assert objects[int(embedded.group(1))][1], "an empty font file"
    assert b"STSong" not in door_codes_pdf(cards)  # the old, never embedded, CID font


def test_a_missing_or_unembeddable_font_names_the_setting(tmp_path: Path) -> None:
    cards = [DoorCode("H001", "张三", "大村", household_link("yaoan_bot", "H001"))]
    with pytest.raises(FontMissing, match="CADREBOT_PDF_FONT"):
        door_codes_pdf(cards, tmp_path / "no-such-font.ttf")
    not_a_font = tmp_path / "notes.ttf"
    not_a_font.write_bytes(b"not a font")
    with pytest.raises(FontMissing, match="cannot be embedded.*CADREBOT_PDF_FONT"):
        door_codes_pdf(cards, not_a_font)


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
