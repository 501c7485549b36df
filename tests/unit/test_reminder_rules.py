"""Reminder calendars at their boundaries, in the plan's time zone."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from domain.periods import Month
from domain.reminders import (
    DEFAULT_RULES,
    HOUSEHOLD_VISIT,
    LEDGER_DEADLINE,
    MAX_CATCH_UP_DAYS,
    PROGRESS_REQUEST,
    VILLAGE_VISIT,
    QuietHours,
    ReminderRuleError,
    RuleSpec,
    days_to_evaluate,
    last_working_day,
    occurrences_on,
    parse_reminder_rules,
)
from services.plan_loader import default_plan_path, read_plan_file

SHANGHAI = ZoneInfo("Asia/Shanghai")
RULES = {rule.name: rule for rule in DEFAULT_RULES}


def fires(name: str, day: date) -> list[tuple[str, str]]:
    return [(o.period, o.occurrence) for o in occurrences_on(RULES[name], day)]


def test_village_visit_on_the_20th_and_27th_of_each_month() -> None:
    assert fires(VILLAGE_VISIT, date(2026, 11, 20)) == [("2026-11", "2026-11-20")]
    assert fires(VILLAGE_VISIT, date(2026, 11, 27)) == [("2026-11", "2026-11-27")]
    assert fires(VILLAGE_VISIT, date(2026, 11, 21)) == []
    assert fires(VILLAGE_VISIT, date(2027, 2, 27)) == [("2027-02", "2027-02-27")]


def test_household_visit_a_month_and_two_weeks_before_quarter_end() -> None:
    # Q4 ends 2026-12-31: 30 days before is 12-01, 14 days before is 12-17.
    assert fires(HOUSEHOLD_VISIT, date(2026, 12, 1)) == [("2026-Q4", "2026-12-01")]
    assert fires(HOUSEHOLD_VISIT, date(2026, 12, 17)) == [("2026-Q4", "2026-12-17")]
    assert fires(HOUSEHOLD_VISIT, date(2026, 11, 30)) == []
    # Leap year: Q1 2028 ends 03-31; 30 days before is 03-01, not 02-29.
    assert fires(HOUSEHOLD_VISIT, date(2028, 3, 1)) == [("2028-Q1", "2028-03-01")]
    assert fires(HOUSEHOLD_VISIT, date(2028, 2, 29)) == []
    # Q2 ends 06-30: 05-31 and 06-16.
    assert fires(HOUSEHOLD_VISIT, date(2026, 5, 31)) == [("2026-Q2", "2026-05-31")]
    assert fires(HOUSEHOLD_VISIT, date(2026, 6, 16)) == [("2026-Q2", "2026-06-16")]


def test_ledger_deadline_dates_in_november() -> None:
    days = [d for d in range(1, 31) if fires(LEDGER_DEADLINE, date(2026, 11, d))]
    assert days == [1, 15, 25, 30]
    assert fires(LEDGER_DEADLINE, date(2026, 11, 30)) == [("2026", "2026-11-30")]


def test_last_working_day_skips_weekends() -> None:
    assert last_working_day(Month(2026, 11)) == date(2026, 11, 30)  # a Monday
    assert last_working_day(Month(2026, 5)) == date(2026, 5, 29)  # 30-31 are a weekend
    assert last_working_day(Month(2028, 2)) == date(2028, 2, 29)  # leap day, a Tuesday
    assert last_working_day(Month(2026, 2)) == date(2026, 2, 27)  # 28 is a Saturday
    assert fires(PROGRESS_REQUEST, date(2026, 5, 29)) == [("2026-05", "2026-05-29")]
    assert fires(PROGRESS_REQUEST, date(2026, 5, 31)) == []


def test_catch_up_covers_missed_days_but_at_most_a_week() -> None:
    today = date(2026, 11, 28)
    assert days_to_evaluate(None, today) == [today]
    assert days_to_evaluate(today, today) == []  # a second run the same day does nothing
    assert days_to_evaluate(date(2026, 11, 25), today) == [
        date(2026, 11, 26),
        date(2026, 11, 27),
        today,
    ]
    long_down = days_to_evaluate(date(2026, 10, 1), today)
    assert len(long_down) == MAX_CATCH_UP_DAYS + 1 and long_down[-1] == today


def test_quiet_hours_hold_until_eight_in_shanghai() -> None:
    quiet = QuietHours()
    assert quiet.contains(time(21)) and quiet.contains(time(7, 59)) and quiet.contains(time(0))
    assert not quiet.contains(time(8)) and not quiet.contains(time(20, 59))
    # 22:30 Shanghai on 11-28 is 14:30 UTC; held until 08:00 Shanghai on 11-29 (00:00 UTC).
    late = datetime(2026, 11, 28, 14, 30, tzinfo=UTC)
    assert quiet.next_allowed(late, SHANGHAI) == datetime(2026, 11, 29, 0, 0, tzinfo=UTC)
    # 02:00 Shanghai: held until 08:00 the same local day.
    early = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
    assert quiet.next_allowed(early, SHANGHAI) == datetime(2026, 11, 29, 0, 0, tzinfo=UTC)
    noon = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
    assert quiet.next_allowed(noon, SHANGHAI) == noon


def test_plan_file_overrides_and_refusals() -> None:
    rules = parse_reminder_rules([{"rule": "village_visit", "days_of_month": [25], "hour": 8}])
    village = next(r for r in rules if r.name == VILLAGE_VISIT)
    assert (village.days_of_month, village.hour) == ((25,), 8)
    assert len(rules) == len(DEFAULT_RULES)  # the others keep their defaults
    assert RuleSpec.from_json("village_visit", village.to_json(), 8, 0, True) == village
    for bad, message in (
        ([{"rule": "nope"}], "unknown rule"),
        ([{"rule": "village_visit", "days_of_month": [32]}], "from 1 to 31"),
        ([{"rule": "ledger_deadline", "dates": ["11-31"]}], "not MM-DD"),
        ([{"rule": "village_visit", "hour": 24}], "0-23"),
    ):
        with pytest.raises(ReminderRuleError, match=message):
            parse_reminder_rules(bad)


def test_the_shipped_plan_file_states_the_defaults() -> None:
    plan = read_plan_file(default_plan_path())
    assert plan.reminders == DEFAULT_RULES


def test_dropout_due_days_in_the_plan_file() -> None:
    from domain.dropouts import DueRules
    from domain.plan import PlanError, _dropout_due

    assert read_plan_file(default_plan_path()).dropout_due == DueRules(3, 7, 30)
    assert _dropout_due({"acknowledge_days": 1}) == DueRules(1, 7, 30)
    assert _dropout_due(None) == DueRules()
    for bad in ({"verify_days": 0}, {"resolve_days": "30"}, [1, 2]):
        with pytest.raises(PlanError, match="dropout_cases"):
            _dropout_due(bad)
