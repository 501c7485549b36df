"""Printable door QR codes: one deep link per household, which starts its visit in the bot."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy.ext.asyncio import AsyncSession

from services.files.fonts import HOW_TO_FIX, FontMissing, cjk_font_path
from services.transaction import unit_of_work
from storage.households import households_with_village

COLUMNS, ROWS = 2, 4
DEEP_LINK_PREFIX = "hh_"


@dataclass(frozen=True)
class DoorCode:
    household_code: str
    head_name: str
    village_name: str
    link: str


def household_link(bot_username: str, household_code: str) -> str:
    """`https://t.me/<bot>?start=hh_<code>`: opening it starts a visit to that household."""
    return f"https://t.me/{bot_username}?start={DEEP_LINK_PREFIX}{household_code}"


async def door_codes(
    session: AsyncSession, bot_username: str, village_code: str | None = None
) -> list[DoorCode]:
    """Every household (of one village) with its deep link, by code."""
    async with unit_of_work(session):
        rows = await households_with_village(session, village_code)
    return [
        DoorCode(code, head, village, household_link(bot_username, code))
        for code, head, village in rows
    ]


@cache
def _embedded_font(path: Path) -> str:
    """Register the TrueType font once per process; reportlab embeds the glyphs used."""
    name = f"cadrebot-cjk-{len(pdfmetrics.getRegisteredFontNames())}"
    try:
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
    except (TTFError, OSError) as error:
        raise FontMissing(f"{path} cannot be embedded ({error}); {HOW_TO_FIX}") from error
    return name


def door_codes_pdf(codes: Sequence[DoorCode], font: Path | None = None) -> bytes:
    """A4 pages of COLUMNS x ROWS cards: QR code, household code, head's name, village.

    The Chinese font (`font`, else a known system one) is embedded as a subset, so the PDF
    prints the same anywhere; FontMissing names the setting to fix when there is none."""
    cjk_font = _embedded_font(cjk_font_path(font))
    buffer = io.BytesIO()
    # Every text is in the embedded font: no reference to a font the printer may lack.
    canvas = Canvas(buffer, pagesize=A4, initialFontName=cjk_font, initialFontSize=14)
    canvas.setTitle("cadrebot door codes")
    page_width, page_height = A4
    cell_width, cell_height = page_width / COLUMNS, page_height / ROWS
    per_page = COLUMNS * ROWS
    for index, code in enumerate(codes):
        if index and index % per_page == 0:
            canvas.showPage()
        slot = index % per_page
        left = (slot % COLUMNS) * cell_width
        top = page_height - (slot // COLUMNS) * cell_height
        size = 45 * mm
        widget = QrCodeWidget(code.link)
        x0, y0, x1, y1 = widget.getBounds()
        scale = [size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0]
        # The drawing's state starts in our font too, not Helvetica (no text is drawn in it).
        drawing = Drawing(size, size, transform=scale, initialFontName=cjk_font)
        drawing.add(widget)
        renderPDF.draw(drawing, canvas, left + (cell_width - size) / 2, top - 12 * mm - size)
        center = left + cell_width / 2
        canvas.setFont(cjk_font, 14)
        canvas.drawCentredString(
            center, top - 20 * mm - size, f"{code.household_code}  {code.head_name}"
        )
        canvas.setFont(cjk_font, 10)
        canvas.drawCentredString(center, top - 26 * mm - size, code.village_name)
        canvas.linkURL(code.link, (left, top - cell_height, left + cell_width, top), relative=0)
    if not codes:
        canvas.setFont(cjk_font, 14)
        canvas.drawString(20 * mm, page_height - 30 * mm, "没有农户 (no households)")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
