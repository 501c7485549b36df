"""Quarter and month boundaries, computed in the plan's time zone."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.clock import FixedClock, local_today
from domain.errors import InputRefused
from domain.periods import Month, Quarter

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 1), Quarter(2026, 1)),
        (date(2026, 3, 31), Quarter(2026, 1)),
        (date(2026, 4, 1), Quarter(2026, 2)),
        (date(2026, 9, 30), Quarter(2026, 3)),
        (date(2026, 10, 1), Quarter(2026, 4)),
        (date(2026, 12, 31), Quarter(2026, 4)),
    ],
)
def test_quarter_containing(day: date, expected: Quarter) -> None:
    assert Quarter.containing(day) == expected


def test_quarter_bounds_and_neighbours() -> None:
    q4 = Quarter(2026, 4)
    assert (q4.first_day, q4.last_day) == (date(2026, 10, 1), date(2026, 12, 31))
    assert q4.next() == Quarter(2027, 1)
    assert Quarter(2027, 1).previous() == q4
    assert Quarter(2024, 1).last_day == date(2024, 3, 31)
    assert date(2026, 12, 31) in q4 and date(2027, 1, 1) not in q4


@pytest.mark.parametrize("text", ["2026-Q4", "2026Q4", "2026-q4", " 2026 - Q4 "])
def test_quarter_parse_accepts(text: str) -> None:
    assert Quarter.parse(text) == Quarter(2026, 4)


@pytest.mark.parametrize("text", ["2026-Q5", "2026-Q0", "Q4", "2026-4", "", "last quarter"])
def test_quarter_parse_refuses(text: str) -> None:
    with pytest.raises(InputRefused) as refused:
        Quarter.parse(text)
    assert refused.value.reason == "bad_quarter"


def test_quarter_end_is_decided_in_shanghai_not_utc() -> None:
    # 2026-12-31 16:30 UTC is already 2027-01-01 00:30 in Shanghai: the new quarter.
    clock = FixedClock(datetime(2026, 12, 31, 16, 30, tzinfo=UTC))
    assert local_today(clock, SHANGHAI) == date(2027, 1, 1)
    assert Quarter.containing(local_today(clock, SHANGHAI)) == Quarter(2027, 1)
    # ... while 15:59 UTC is still the last minute of Q4.
    clock.set(datetime(2026, 12, 31, 15, 59, tzinfo=UTC))
    assert Quarter.containing(local_today(clock, SHANGHAI)) == Quarter(2026, 4)


def test_month_bounds_including_leap_february() -> None:
    assert Month(2028, 2).last_day == date(2028, 2, 29)
    assert Month(2026, 2).last_day == date(2026, 2, 28)
    assert Month(2026, 12).next() == Month(2027, 1)
    assert str(Month(2026, 3)) == "2026-03"
