"""Formula injection: which exported text a spreadsheet would run, and its CSV escape.

Roster names reach every export (CSV reports, the notice workbook, the schooling lists).
Excel, LibreOffice and WPS read a field that begins with `=`, `+`, `-`, `@`, a tab or a
carriage return as a formula, so `=HYPERLINK("http://x","y")` as a household head's name
would become a live link in a supervisor's workbook. The rule is OWASP's (CSV Injection):
such text is written as text. One rule for every writer: CSV fields get a leading `'`;
workbooks keep the exact text and type the cell as text (services/files/sheets.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# What makes a spreadsheet parse a cell as a formula (OWASP; NUL from ASVS 1.2.10).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\0")
CSV_ESCAPE = "'"
# A plain number written as text ("-3", "+1.5", "-2e5") is no formula: it stays as it is.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def runs_as_formula(text: str) -> bool:
    """True when a spreadsheet would read `text`, typed into a cell, as a formula."""
    return text.startswith(FORMULA_TRIGGERS) and _PLAIN_NUMBER.fullmatch(text) is None


def csv_field(value: object) -> object:
    """A CSV field a spreadsheet shows as written: formula-like text gets a leading `'`.

    Only text is escaped; numbers, dates and None pass through, so -3 stays a number.
    """
    if isinstance(value, str) and runs_as_formula(value):
        return CSV_ESCAPE + value
    return value


def csv_row(values: Iterable[object]) -> list[object]:
    """`csv_field` over one row, for `csv.writer`."""
    return [csv_field(value) for value in values]
