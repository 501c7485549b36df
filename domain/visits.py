"""When a visit may be dated: not in the future, not older than the back-dating limit."""

from __future__ import annotations

import re
from datetime import date, timedelta

from domain.errors import VisitDateRefused

_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


# Words for a recent day, as a cadre says it: how many days ago (case does not matter).
RELATIVE_DAYS: dict[str, int] = {
    "今天": 0,
    "昨天": 1,
    "前天": 2,
    "today": 0,
    "yesterday": 1,
}


def relative_day(text: str, today: date) -> date | None:
    """今天/昨天/前天 (today/yesterday) as the date they name, `today` being the plan zone's;
    None for anything else."""
    days_ago = RELATIVE_DAYS.get(text.strip().casefold())
    return None if days_ago is None else today - timedelta(days=days_ago)


def parse_visit_date(text: str, today: date) -> date:
    """Read `YYYY-MM-DD` (also 2026/11/28 and 2026年11月28日) or a word such as 昨天; refuse a
    date that does not exist. A refusal shows `today` (the plan zone's) as the example."""
    named = relative_day(text, today)
    if named is not None:
        return named
    match = _DATE_RE.match(text.strip())
    if match is None:
        raise VisitDateRefused("date_format", text=text[:20], example=today.isoformat())
    year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise VisitDateRefused("date_not_real", text=text[:20]) from None


def check_visit_date(visit_date: date, today: date, backdate_days: int) -> None:
    """Refuse a visit dated in the future or earlier than the back-dating limit allows."""
    if visit_date > today:
        raise VisitDateRefused("date_future", date=visit_date.isoformat())
    earliest = today - timedelta(days=backdate_days)
    if visit_date < earliest:
        raise VisitDateRefused(
            "date_too_old",
            date=visit_date.isoformat(),
            days=backdate_days,
            earliest=earliest.isoformat(),
        )


def looks_like_date(text: str) -> bool:
    """True when a token is meant as a date (so a note that starts with one is not misread):
    digits such as 2026-11-28, or a day word such as 昨天."""
    return bool(re.match(r"^\d{4}[-/.年]", text)) or text.strip().casefold() in RELATIVE_DAYS
