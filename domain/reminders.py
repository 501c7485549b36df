"""When reminders are due: the plan's rhythms as calendar rules, free of any framework.

Each rule runs as one daily job at its hour; these functions say which occurrences fall on a
local day (the 20th of a month, 14 days before a quarter ends, the last working day ...).
An occurrence is identified by (period, occurrence) strings that go into the outbox's unique
key, so computing the same day twice can never send twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.periods import Month, Quarter

VILLAGE_VISIT = "village_visit"
HOUSEHOLD_VISIT = "household_visit"
LEDGER_DEADLINE = "ledger_deadline"
MILESTONE = "milestone"
PROGRESS_REQUEST = "progress_request"
MONTHLY_NOTICE = "monthly_notice"
DROPOUT_OVERDUE = "dropout_overdue"
# Not a scheduled rule: a dropout case changed; the outbox key's period is the case id and
# its occurrence the event id.
CASE_EVENT = "case_event"
RULE_NAMES = (
    VILLAGE_VISIT,
    HOUSEHOLD_VISIT,
    LEDGER_DEADLINE,
    MILESTONE,
    PROGRESS_REQUEST,
    MONTHLY_NOTICE,
    DROPOUT_OVERDUE,
)

# A bot that was down catches up on at most this many missed days per rule.
MAX_CATCH_UP_DAYS = 7


class ReminderRuleError(ValueError):
    """A [[reminders]] entry of the plan file is wrong; the message names the field."""


@dataclass(frozen=True)
class RuleSpec:
    """One rule's calendar. Only the fields of its kind are used."""

    name: str
    hour: int = 9
    minute: int = 0
    enabled: bool = True
    days_of_month: tuple[int, ...] = ()
    days_before_quarter_end: tuple[int, ...] = ()
    dates: tuple[tuple[int, int], ...] = ()  # (month, day)
    # Milestones: days left when reminded; negative = days after the due date.
    days_left: tuple[int, ...] = ()
    last_working_day: bool = False
    # Dropout cases: overdue ones go to the school at once, to supervisors after this many days.
    escalate_after_days: int = 3

    def to_json(self) -> str:
        return json.dumps(
            {
                "days_of_month": list(self.days_of_month),
                "days_before_quarter_end": list(self.days_before_quarter_end),
                "dates": [f"{m:02d}-{d:02d}" for m, d in self.dates],
                "days_left": list(self.days_left),
                "last_working_day": self.last_working_day,
                "escalate_after_days": self.escalate_after_days,
            }
        )

    @classmethod
    def from_json(cls, name: str, spec: str, hour: int, minute: int, enabled: bool) -> RuleSpec:
        data = json.loads(spec)
        return _spec(name, {**data, "hour": hour, "minute": minute, "enabled": enabled})


DEFAULT_RULES: tuple[RuleSpec, ...] = (
    RuleSpec(VILLAGE_VISIT, days_of_month=(20, 27)),
    RuleSpec(HOUSEHOLD_VISIT, days_before_quarter_end=(30, 14)),
    RuleSpec(LEDGER_DEADLINE, dates=((11, 1), (11, 15), (11, 25), (11, 30))),
    RuleSpec(MILESTONE, days_left=(7, 1, -1)),
    RuleSpec(PROGRESS_REQUEST, hour=15, last_working_day=True),
    # The supervisors' notice for the month just ended.
    RuleSpec(MONTHLY_NOTICE, days_of_month=(1,)),
    RuleSpec(DROPOUT_OVERDUE),
)


@dataclass(frozen=True)
class Occurrence:
    """One firing of a rule: `period` is what is owed (2026-11, 2026-Q4), `occurrence` when."""

    rule: str
    period: str
    occurrence: str
    day: date


def last_working_day(month: Month) -> date:
    """The month's last Monday-to-Friday (no holiday calendar: the plan names none)."""
    day = month.last_day
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def occurrences_on(spec: RuleSpec, day: date) -> list[Occurrence]:
    """The rule's occurrences on a local day (milestones: see `milestone_offsets`)."""
    iso = day.isoformat()
    if not spec.enabled:
        return []
    if spec.name == VILLAGE_VISIT and day.day in spec.days_of_month:
        return [Occurrence(spec.name, str(Month.containing(day)), iso, day)]
    if spec.name == HOUSEHOLD_VISIT:
        quarter = Quarter.containing(day)
        if (quarter.last_day - day).days in spec.days_before_quarter_end:
            return [Occurrence(spec.name, str(quarter), iso, day)]
    if spec.name == LEDGER_DEADLINE and (day.month, day.day) in spec.dates:
        return [Occurrence(spec.name, str(day.year), iso, day)]
    if spec.name == PROGRESS_REQUEST and spec.last_working_day:
        month = Month.containing(day)
        if day == last_working_day(month):
            return [Occurrence(spec.name, str(month), iso, day)]
    if spec.name == MONTHLY_NOTICE and day.day in spec.days_of_month:
        return [Occurrence(spec.name, str(Month.containing(day).previous()), iso, day)]
    if spec.name == DROPOUT_OVERDUE:
        return [Occurrence(spec.name, "", iso, day)]  # daily; the rule expands it per case
    if spec.name == MILESTONE and spec.days_left:
        return [Occurrence(spec.name, "", iso, day)]  # the rule expands it per milestone
    return []


def milestone_occurrence(milestone_id: int, days_left: int) -> tuple[str, str]:
    """(period, occurrence) of a milestone reminder: d+7 a week before, d-1 the day after."""
    return f"milestone-{milestone_id}", f"d{days_left:+d}"


def milestone_of(period: str) -> int | None:
    """The milestone id a milestone reminder's period names; None for anything else."""
    number = period.removeprefix("milestone-")
    return int(number) if number != period and number.isdigit() else None


def case_period(case_id: int, state: str) -> str:
    """A dropout reminder's period names the case and its state: a case that moves on and
    falls behind again is reminded again."""
    return f"case-{case_id}-{state}"


def days_to_evaluate(evaluated_through: date | None, today: date) -> list[date]:
    """Local days a run must compute: the missed ones since the last run, then today."""
    first = today if evaluated_through is None else evaluated_through + timedelta(days=1)
    first = max(first, today - timedelta(days=MAX_CATCH_UP_DAYS))
    return [first + timedelta(days=n) for n in range((today - first).days + 1)]


@dataclass(frozen=True)
class QuietHours:
    """Local hours when nothing is sent (default 21:00-08:00): held until the morning."""

    start: time = time(21)
    end: time = time(8)

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def next_allowed(self, now: datetime, tz: ZoneInfo) -> datetime:
        """Now if sending is allowed, else the end of the quiet hours (an aware instant)."""
        local = now.astimezone(tz)
        if not self.contains(local.time()):
            return now
        end = datetime.combine(local.date(), self.end, tzinfo=tz)
        if end <= local:
            end += timedelta(days=1)
        return end


def _ints(data: Mapping[str, Any], key: str, where: str, low: int, high: int) -> tuple[int, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
        raise ReminderRuleError(f"{where}.{key}: a list of whole numbers is required")
    if any(not low <= v <= high for v in value):
        raise ReminderRuleError(f"{where}.{key}: each must be from {low} to {high}")
    return tuple(value)


def _int(
    data: Mapping[str, Any], key: str, where: str, low: int, high: int, *, default: int
) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or not low <= value <= high:
        raise ReminderRuleError(f"{where}.{key}: a whole number from {low} to {high} is required")
    return value


def _spec(name: str, data: Mapping[str, Any], where: str = "reminders") -> RuleSpec:
    if name not in RULE_NAMES:
        raise ReminderRuleError(f"{where}.rule: unknown rule {name!r}; one of {RULE_NAMES}")
    hour, minute = data.get("hour", 9), data.get("minute", 0)
    if not (isinstance(hour, int) and 0 <= hour <= 23 and isinstance(minute, int)):
        raise ReminderRuleError(f"{where}.hour: 0-23 required")
    if not 0 <= minute <= 59:
        raise ReminderRuleError(f"{where}.minute: 0-59 required")
    dates: list[tuple[int, int]] = []
    for text in data.get("dates", []):
        try:
            month, day = (int(part) for part in str(text).split("-"))
            date(2024, month, day)  # a leap year admits 02-29
        except ValueError:
            raise ReminderRuleError(f"{where}.dates: {text!r} is not MM-DD") from None
        dates.append((month, day))
    return RuleSpec(
        name=name,
        hour=hour,
        minute=minute,
        enabled=bool(data.get("enabled", True)),
        days_of_month=_ints(data, "days_of_month", where, 1, 31),
        days_before_quarter_end=_ints(data, "days_before_quarter_end", where, 0, 91),
        dates=tuple(dates),
        days_left=_ints(data, "days_left", where, -60, 60),
        last_working_day=bool(data.get("last_working_day", False)),
        escalate_after_days=_ints({"v": [data.get("escalate_after_days", 3)]}, "v", where, 0, 60)[
            0
        ],
    )


def parse_reminder_rules(entries: object) -> tuple[RuleSpec, ...]:
    """The plan file's [[reminders]]; rules it leaves out keep their defaults."""
    if entries is None:
        return DEFAULT_RULES
    if not isinstance(entries, list):
        raise ReminderRuleError("reminders: an array of tables ([[reminders]]) is required")
    given: dict[str, RuleSpec] = {}
    for index, entry in enumerate(entries):
        where = f"reminders[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("rule"), str):
            raise ReminderRuleError(f"{where}: a table with a rule name is required")
        given[entry["rule"]] = _spec(entry["rule"], entry, where)
    return tuple(given.get(rule.name, rule) for rule in DEFAULT_RULES)


def next_fire_days(spec: RuleSpec, today: date, count: int = 2, horizon: int = 400) -> list[date]:
    """The rule's next local days with an occurrence, from today on (not for milestones,
    whose days depend on each milestone's due date)."""
    found: list[date] = []
    for offset in range(horizon):
        day = today + timedelta(days=offset)
        if spec.name not in (MILESTONE, DROPOUT_OVERDUE) and occurrences_on(spec, day):
            found.append(day)
            if len(found) == count:
                break
    return found
