"""One way to lay out a workbook sheet: bold header, frozen first row, columns fit their text.

Every workbook we write goes through `add_sheet`, so every cell of roster text is typed as
text: a head's name `=HYPERLINK(...)` is shown as written, never run (domain/spreadsheet.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from domain.spreadsheet import runs_as_formula


def keep_as_text(cell: Cell) -> None:
    """Formula-like text stays text: a string cell (not `f`) with Excel's quote-prefix flag.

    The exact text is kept (no `'` added to the value, unlike CSV): the cell is written as a
    string, which no reader evaluates, and `quotePrefix` is what Excel itself sets when one
    types a leading `'`, so the cell stays text even when someone edits it and presses Enter.
    """
    if isinstance(cell.value, str) and runs_as_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True


def append_row(sheet: Worksheet, values: Sequence[Any]) -> None:
    """`sheet.append`, then every formula-like text cell of the new row kept as text."""
    sheet.append(list(values))
    # The row `append` just wrote; `sheet.max_row` would scan every cell, once per row.
    line: int = sheet._current_row
    for column, value in enumerate(values, 1):
        if isinstance(value, str) and runs_as_formula(value):
            keep_as_text(sheet.cell(row=line, column=column))


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
    append_row(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(sheet, row)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header, 1):
        longest = max([len(str(name)), *(len(str(r[index - 1] or "")) for r in rows)])
        sheet.column_dimensions[get_column_letter(index)].width = min(
            widest, 4 + per_char * longest
        )
    return sheet


def add_streamed_sheet(
    workbook: Workbook,
    title: str,
    header: list[str],
    rows: list[list[Any]],
    *,
    widest: int = 60,
    per_char: float = 1.6,
    number_formats: dict[int, str] | None = None,
) -> None:
    """`add_sheet` for a write-only workbook (`Workbook(write_only=True)`): rows go straight
    to the file, no cell object is kept (a province's lists hold tens of thousands of rows).

    The same layout: widths and the frozen header are set before the first row, formula-like
    text is written as text with the quote-prefix flag; `number_formats` maps a 1-based
    column to its format (dates)."""
    sheet = workbook.create_sheet(title)
    for index, name in enumerate(header, 1):
        longest = max([len(str(name)), *(len(str(r[index - 1] or "")) for r in rows)])
        sheet.column_dimensions[get_column_letter(index)].width = min(
            widest, 4 + per_char * longest
        )
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_streamed_cell(sheet, name, font=bold) for name in header])
    formats = [(column - 1, fmt) for column, fmt in (number_formats or {}).items()]
    for row in rows:
        values: list[Any] = list(row)
        for column, value in enumerate(values):
            if isinstance(value, str) and runs_as_formula(value):
                values[column] = _streamed_cell(sheet, value)
        for column, fmt in formats:
            if values[column] is not None and not isinstance(values[column], Cell):
                values[column] = _streamed_cell(sheet, values[column], number_format=fmt)
        sheet.append(values)


def _streamed_cell(
    sheet: Any, value: Any, *, font: Font | None = None, number_format: str | None = None
) -> Cell:
    """A cell of a write-only sheet, formula-like text kept as text as `keep_as_text` does."""
    cell = WriteOnlyCell(sheet, value=value)
    keep_as_text(cell)
    if font is not None:
        cell.font = font
    if number_format is not None:
        cell.number_format = number_format
    return cell
