"""Calendar periods of the plan: quarters for household visits, months for village visits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import ClassVar, Self

from domain.errors import InputRefused

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")
_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


@dataclass(frozen=True, order=True)
class _Period:
    """A run of `MONTHS` calendar months, numbered from 1 within its year."""

    MONTHS: ClassVar[int]

    year: int
    number: int

    @classmethod
    def containing(cls, day: date) -> Self:
        return cls(day.year, (day.month - 1) // cls.MONTHS + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.MONTHS * (self.number - 1) + 1, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def next(self) -> Self:
        return self._shifted(1)

    def previous(self) -> Self:
        return self._shifted(-1)

    def _shifted(self, by: int) -> Self:
        per_year = 12 // self.MONTHS
        year, index = divmod(self.year * per_year + self.number - 1 + by, per_year)
        return type(self)(year, index + 1)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first_day <= day <= self.last_day


class Quarter(_Period):
    """A calendar quarter, e.g. 2026-Q4."""

    MONTHS = 3

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse `YYYY-Qn`; refuse anything else with the rule's name."""
        match = _QUARTER_RE.match(text)
        if match is None:
            raise InputRefused("bad_quarter", text=text[:20])
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


class Month(_Period):
    """A calendar month, e.g. 2026-11."""

    MONTHS = 1

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse `YYYY-MM`; refuse anything else with the rule's name."""
        match = _MONTH_RE.match(text)
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise InputRefused("bad_month", text=text[:20])
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year}-{self.number:02d}"
