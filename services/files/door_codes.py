"""Printable door QR codes: one deep link per household, which starts its visit in the bot."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy.ext.asyncio import AsyncSession

from services.transaction import unit_of_work
from storage.households import households_with_village

# A Chinese font every PDF reader has (Adobe's CID font), so no font file ships with us.
CJK_FONT = "STSong-Light"
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


def door_codes_pdf(codes: Sequence[DoorCode]) -> bytes:
    """A4 pages of COLUMNS x ROWS cards: QR code, household code, head's name, village."""
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
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
        drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
        drawing.add(widget)
        renderPDF.draw(drawing, canvas, left + (cell_width - size) / 2, top - 12 * mm - size)
        center = left + cell_width / 2
        canvas.setFont(CJK_FONT, 14)
        canvas.drawCentredString(
            center, top - 20 * mm - size, f"{code.household_code}  {code.head_name}"
        )
        canvas.setFont(CJK_FONT, 10)
        canvas.drawCentredString(center, top - 26 * mm - size, code.village_name)
        canvas.linkURL(code.link, (left, top - cell_height, left + cell_width, top), relative=0)
    if not codes:
        canvas.setFont(CJK_FONT, 14)
        canvas.drawString(20 * mm, page_height - 30 * mm, "没有农户 (no households)")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
