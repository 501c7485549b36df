"""The formula-injection rule every export shares (OWASP CSV Injection)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from domain.spreadsheet import csv_field, csv_row, runs_as_formula


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://x","y")', "=1+1", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "-", "+"],
)
def test_formula_like_text_is_escaped_with_a_quote(text: str) -> None:
    assert runs_as_formula(text)
    assert csv_field(text) == "'" + text


@pytest.mark.parametrize("text", ["李正荣", "H0601001", "1+1", " =1", "'=1", "", "a=b", "＝1"])
def test_other_text_is_left_as_it_is(text: str) -> None:
    assert not runs_as_formula(text)
    assert csv_field(text) == text


@pytest.mark.parametrize("text", ["-3", "+1.5", "-0.25", "-2e5", "-.5"])
def test_a_number_written_as_text_stays_a_number(text: str) -> None:
    assert not runs_as_formula(text)
    assert csv_field(text) == text


def test_only_text_is_escaped() -> None:
    values: list[object] = [-3, -1.5, Decimal("-0.6"), date(2026, 11, 1), None, "=1+1"]
    assert csv_row(values) == [-3, -1.5, Decimal("-0.6"), date(2026, 11, 1), None, "'=1+1"]
    buffer = io.StringIO()
    csv.writer(buffer).writerow(csv_row(['=HYPERLINK("http://x","y")', -3]))
    assert buffer.getvalue() == '"\'=HYPERLINK(""http://x"",""y"")",-3\r\n'
