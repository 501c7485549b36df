"""The back-dating window and date parsing for visits."""

from datetime import date

import pytest

from domain.errors import VisitDateRefused
from domain.visits import check_visit_date, parse_visit_date

TODAY = date(2026, 11, 28)


def test_today_and_limit_day_are_accepted() -> None:
    check_visit_date(TODAY, TODAY, 30)
    check_visit_date(date(2026, 10, 29), TODAY, 30)


def test_future_is_refused() -> None:
    with pytest.raises(VisitDateRefused) as refused:
        check_visit_date(date(2026, 11, 29), TODAY, 30)
    assert refused.value.reason == "date_future"


def test_older_than_limit_is_refused_with_earliest_date() -> None:
    with pytest.raises(VisitDateRefused) as refused:
        check_visit_date(date(2026, 10, 28), TODAY, 30)
    assert refused.value.reason == "date_too_old"
    assert refused.value.params["earliest"] == "2026-10-29"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-28", date(2026, 11, 28)),
        ("2026/11/8", date(2026, 11, 8)),
        ("2026.1.2", date(2026, 1, 2)),
        ("2026年11月28日", date(2026, 11, 28)),
        ("2028-02-29", date(2028, 2, 29)),
    ],
)
def test_parse_accepts(text: str, expected: date) -> None:
    assert parse_visit_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天", TODAY),
        ("昨天", date(2026, 11, 27)),
        ("前天", date(2026, 11, 26)),
        ("today", TODAY),
        ("Yesterday", date(2026, 11, 27)),
        (" YESTERDAY ", date(2026, 11, 27)),
    ],
)
def test_day_words_count_from_today(text: str, expected: date) -> None:
    assert parse_visit_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-02-30", "date_not_real"),
        ("2026-02-29", "date_not_real"),
        ("2026-13-01", "date_not_real"),
        ("28.11.2026", "date_format"),
        ("明天", "date_format"),
        ("the day before", "date_format"),
    ],
)
def test_parse_refuses(text: str, reason: str) -> None:
    with pytest.raises(VisitDateRefused) as refused:
        parse_visit_date(text, TODAY)
    assert refused.value.reason == reason


def test_format_refusal_gives_today_as_the_example() -> None:
    with pytest.raises(VisitDateRefused) as refused:
        parse_visit_date("last week", TODAY)
    assert refused.value.params["example"] == "2026-11-28"
