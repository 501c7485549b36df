"""Small rendering helpers shared by the routers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from html import escape
from typing import Protocol

MESSAGE_LIMIT = 4096


def esc(value: object) -> str:
    """Escape anything user- or roster-supplied before it goes into an HTML message."""
    return escape(str(value), quote=False)


def chunks(text: str, limit: int = MESSAGE_LIMIT) -> Iterator[str]:
    """Split a long reply on line breaks so no message passes Telegram's limit."""
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                yield "\n".join(current)
                current, size = [], 0
            yield line[:limit]
            line = line[limit:]
        if size + len(line) + (1 if current else 0) > limit:
            yield "\n".join(current)
            current, size = [], 0
        size += len(line) + (1 if current else 0)
        current.append(line)
    if current:
        yield "\n".join(current)


# ---- dates, months, quarters and lists, as a reader of the locale expects ----------------
# One place for it (docs/glossary.md says why): Chinese "2026年第四季度", "2026年11月",
# "2026年11月20日" ("11月20日" where the year is clear); English "Q4 2026", "November 2026",
# ISO dates ("2026-11-20", the format people also type) and "20 Nov" for a short date.
# What people type stays `2026-Q4`, `2026-11`, `2026-11-20` in every locale.

# The example in a prompt for a birth date (today's date would be a strange one).
BIRTH_DATE_EXAMPLE = "2015-09-01"
_CHINESE_NUMERALS = "一二三四"
_MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_LIST_SEPARATORS = {"zh": "、"}
_CLAUSE_SEPARATORS = {"zh": "；"}
_PHRASE_SEPARATORS = {"zh": "，"}


class _Period(Protocol):
    @property
    def year(self) -> int: ...

    @property
    def number(self) -> int: ...


def _chinese(t: _HasLocale) -> bool:
    return t.locale == "zh"


class _HasLocale(Protocol):
    @property
    def locale(self) -> str: ...


def quarter_text(t: _HasLocale, quarter: _Period | str) -> str:
    """2026-Q4 as "2026年第四季度" / "Q4 2026"; a string is parsed as YYYY-Qn."""
    year, number = _year_and_number(quarter, "Q")
    if _chinese(t):
        return f"{year}年第{_CHINESE_NUMERALS[number - 1]}季度"
    return f"Q{number} {year}"


def month_text(t: _HasLocale, month: _Period | str) -> str:
    """2026-11 as "2026年11月" / "November 2026"; a string is parsed as YYYY-MM."""
    year, number = _year_and_number(month, "-")
    if _chinese(t):
        return f"{year}年{number}月"
    return f"{_MONTH_NAMES[number - 1]} {year}"


def date_text(t: _HasLocale, day: date | str, *, short: bool = False) -> str:
    """2026-11-20 as "2026年11月20日" (short "11月20日") / "2026-11-20" (short "20 Nov").

    A string that is not an ISO date (e.g. what someone typed) comes back unchanged."""
    if isinstance(day, str):
        try:
            return date_text(t, date.fromisoformat(day.strip()), short=short)
        except ValueError:
            return day
    if _chinese(t):
        return f"{day.month}月{day.day}日" if short else f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTH_NAMES[day.month - 1][:3]}" if short else day.isoformat()


def list_text(t: _HasLocale, items: Iterable[object]) -> str:
    """Items of a list in a sentence: "需求、本年度核实确认" / "needs, review"."""
    return _LIST_SEPARATORS.get(t.locale, ", ").join(str(item) for item in items)


def clauses_text(t: _HasLocale, items: Iterable[object]) -> str:
    """Longer items (each with its own commas): "…；…" / "…; …"."""
    return _CLAUSE_SEPARATORS.get(t.locale, "; ").join(str(item) for item in items)


def phrases_text(t: _HasLocale, items: Iterable[object]) -> str:
    """Phrases of one sentence, not a list: "男，60岁" / "male, age 60"."""
    return _PHRASE_SEPARATORS.get(t.locale, ", ").join(str(item) for item in items)


def _year_and_number(period: _Period | str, mark: str) -> tuple[int, int]:
    if not isinstance(period, str):
        return period.year, period.number
    year, _, number = period.strip().upper().partition(mark)
    return int(year.rstrip("-")), int(number)


def bracket_text(t: _HasLocale, inner: object) -> str:
    """A remark after a word: "（…）" in Chinese, " (…)" in English."""
    return f"\uff08{inner}\uff09" if _chinese(t) else f" ({inner})"
