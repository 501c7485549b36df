"""Dropout-case rules: steps in order, who acts, reasons, due dates and overdue at boundaries."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.dropouts import (
    ACKNOWLEDGED,
    CLOSED,
    CONFIRMED,
    REPORTED,
    CaseTimes,
    DueRules,
    check_school_child,
    check_since,
    check_step,
    clean_text,
    days_overdue,
    due_date,
    may_be_school_child,
    may_see,
    parse_reason,
    steps_in,
)
from domain.errors import DomainError

TZ = ZoneInfo("Asia/Shanghai")
# 2026-11-28 10:00 in Shanghai.
REPORTED_AT = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def test_steps_follow_the_workflow() -> None:
    assert steps_in(REPORTED) == ("acknowledge",)
    assert steps_in(ACKNOWLEDGED) == ("not_a_dropout", "confirm")
    assert steps_in(CONFIRMED) == ("persuade", "returned", "transferred", "exempted", "still_out")
    assert steps_in(CLOSED) == ()


@pytest.mark.parametrize(
    ("state", "step", "after"),
    [
        (REPORTED, "acknowledge", ACKNOWLEDGED),
        (ACKNOWLEDGED, "confirm", CONFIRMED),
        (ACKNOWLEDGED, "not_a_dropout", CLOSED),
        (CONFIRMED, "persuade", CONFIRMED),
        (CONFIRMED, "still_out", CLOSED),
    ],
)
def test_allowed_steps(state: str, step: str, after: str) -> None:
    assert check_step(1, state, step, school_member=True, supervisor=False) == after
    assert check_step(1, state, step, school_member=False, supervisor=True) == after


@pytest.mark.parametrize(
    ("state", "step"),
    [
        (REPORTED, "confirm"),
        (REPORTED, "returned"),
        (ACKNOWLEDGED, "acknowledge"),
        (CONFIRMED, "not_a_dropout"),
        (CLOSED, "persuade"),
        (CONFIRMED, "made_up"),
    ],
)
def test_steps_out_of_order_are_refused(state: str, step: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_step(7, state, step, school_member=True, supervisor=False)
    assert (refused.value.reason, refused.value.params) == ("dropout_step_not_now", {"case": 7})


def test_only_the_school_or_a_supervisor_acts_and_who_sees() -> None:
    with pytest.raises(DomainError) as refused:
        check_step(3, REPORTED, "acknowledge", school_member=False, supervisor=False)
    assert refused.value.reason == "dropout_school_only"
    assert may_see(reporter=True, school_member=False, supervisor=False)
    assert not may_see(reporter=False, school_member=False, supervisor=False)


def test_reasons_in_chinese_and_english() -> None:
    assert parse_reason("贫困") == parse_reason("poverty") == "poverty"
    assert parse_reason("Illness") == "illness"
    assert parse_reason(None) == parse_reason("  ") == "other"
    with pytest.raises(DomainError) as refused:
        parse_reason("懒")
    assert refused.value.reason == "dropout_bad_reason"


def test_since_and_text_limits() -> None:
    check_since(date(2026, 11, 28), date(2026, 11, 28))
    with pytest.raises(DomainError):
        check_since(date(2026, 11, 29), date(2026, 11, 28))
    assert clean_text("  a  b ") == "a b"
    with pytest.raises(DomainError):
        clean_text("   ")
    with pytest.raises(DomainError):
        clean_text("x" * 501)


def test_acknowledge_due_at_local_day_boundaries() -> None:
    times = CaseTimes(REPORTED, REPORTED_AT)
    assert due_date(times, TZ) == date(2026, 12, 1)
    assert days_overdue(times, local(2026, 12, 1, 23, 59), TZ) == 0
    assert days_overdue(times, local(2026, 12, 2, 0, 0), TZ) == 1
    # 2026-12-01 16:30 UTC is already 12-02 00:30 in Shanghai: overdue by the plan's zone.
    assert days_overdue(times, datetime(2026, 12, 1, 16, 30, tzinfo=UTC), TZ) == 1


def test_a_report_late_in_the_local_evening_counts_from_that_local_day() -> None:
    # 2026-11-28 23:30 Shanghai is 15:30 UTC the same day; 16:30 UTC is already the 29th.
    late = datetime(2026, 11, 28, 16, 30, tzinfo=UTC)
    assert due_date(CaseTimes(REPORTED, late), TZ) == date(2026, 12, 2)


def test_verify_and_resolve_due_dates_and_overrides() -> None:
    acknowledged = local(2026, 11, 30, 9)
    times = CaseTimes(ACKNOWLEDGED, REPORTED_AT, acknowledged)
    assert due_date(times, TZ) == date(2026, 12, 7)
    assert days_overdue(times, local(2026, 12, 7, 23, 59), TZ) == 0
    assert days_overdue(times, local(2026, 12, 9, 8), TZ) == 2
    confirmed = local(2026, 12, 1, 9)
    times = CaseTimes(CONFIRMED, REPORTED_AT, acknowledged, confirmed)
    assert due_date(times, TZ) == date(2026, 12, 31)
    assert days_overdue(times, local(2027, 1, 1), TZ) == 1
    assert due_date(times, TZ, DueRules(resolve_days=10)) == date(2026, 12, 11)
    assert due_date(CaseTimes(CLOSED, REPORTED_AT), TZ) is None
    assert days_overdue(CaseTimes(CLOSED, REPORTED_AT), local(2030, 1, 1), TZ) == 0


@pytest.mark.parametrize(
    ("birth", "offered"),
    [
        (None, True),  # unknown age: may be a child
        (date(1994, 5, 1), False),  # the parents the tester saw offered
        (date(1996, 1, 1), False),
        (date(2008, 11, 29), True),  # 17 until tomorrow
        (date(2008, 11, 28), False),  # 18 today
        (date(2020, 11, 28), True),  # 6 today
        (date(2020, 11, 29), False),  # 5: not yet of school age
    ],
)
def test_who_may_be_the_school_child_out_of_school(birth: date | None, offered: bool) -> None:
    assert may_be_school_child(birth, date(2026, 11, 28)) is offered


def test_only_a_possible_school_child_may_be_reported() -> None:
    today = date(2026, 11, 28)
    check_school_child("小明", date(2013, 3, 1), today)
    check_school_child("小红", None, today)
    with pytest.raises(DomainError) as refused:
        check_school_child("大明", date(1979, 5, 5), today)
    assert refused.value.reason == "dropout_not_school_child"
    assert refused.value.params == {"name": "大明", "year": 1979, "age": 47, "low": 6, "high": 17}
    with pytest.raises(DomainError):
        check_school_child("小宝", date(2022, 1, 1), today)


def test_a_card_older_than_the_case_is_stale() -> None:
    ok = {"school_member": True, "supervisor": False}
    assert check_step(1, CONFIRMED, "returned", seen=3, events=3, **ok) == CLOSED
    with pytest.raises(DomainError) as refused:
        check_step(1, CONFIRMED, "returned", seen=3, events=4, **ok)
    assert refused.value.reason == "stale_button"
    with pytest.raises(DomainError) as refused:
        check_step(
            1, CONFIRMED, "returned", seen=3, events=4, school_member=False, supervisor=False
        )
    assert refused.value.reason == "dropout_school_only"
