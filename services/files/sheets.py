"""One way to lay out a workbook sheet: bold header, frozen first row, columns fit their text."""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet


def add_sheet(
    workbook: Workbook,
    title: str,
    header: list[str],
    rows: list[list[Any]],
    *,
    widest: int = 60,
    per_char: float = 1.6,
) -> Worksheet:
    """A new sheet with `rows` under `header`; each column as wide as its longest text
    (`per_char` per character, at most `widest`: CJK characters are about twice as wide)."""
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header, 1):
        longest = max([len(str(name)), *(len(str(r[index - 1] or "")) for r in rows)])
        sheet.column_dimensions[get_column_letter(index)].width = min(
            widest, 4 + per_char * longest
        )
    return sheet
