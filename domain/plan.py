"""The plan as data: campaigns, tasks, milestones and which units each task concerns.

The 2017 plan ships as a TOML file, but any county can load its own, and the same plan
can be moved onto the current year for a demo (`rebase`). Units are named by selectors
so a task can address "all central schools" without listing them:

- a unit code, e.g. `JYG` (教育股)
- `kind:<section|central_school|school|office>`: every unit of that kind
- `all`: every unit (e.g. "every paired cadre")
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from domain.dropouts import ACKNOWLEDGE_DAYS, RESOLVE_DAYS, VERIFY_DAYS, DueRules
from domain.reminders import DEFAULT_RULES, ReminderRuleError, RuleSpec, parse_reminder_rules
from domain.roles import UnitKind

ALL = "all"
KIND_PREFIX = "kind:"
_UNIT_CODE_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")
_KINDS = frozenset(k.value for k in UnitKind)


class PlanError(ValueError):
    """The plan file is malformed; the message says where (e.g. campaigns[2].tasks[0])."""


@dataclass(frozen=True)
class PlanMilestone:
    due: date
    title_zh: str
    title_en: str


@dataclass(frozen=True)
class PlanTask:
    number: int
    title_zh: str
    title_en: str
    responsible: tuple[str, ...]
    cooperating: tuple[str, ...] = ()
    milestones: tuple[PlanMilestone, ...] = ()


@dataclass(frozen=True)
class PlanCampaign:
    number: int
    title_zh: str
    title_en: str
    leader: str
    tasks: tuple[PlanTask, ...] = ()


@dataclass(frozen=True)
class Plan:
    year: int
    campaigns: tuple[PlanCampaign, ...]
    reminders: tuple[RuleSpec, ...] = DEFAULT_RULES
    dropout_due: DueRules = DueRules()


def is_valid_selector(selector: str) -> bool:
    if selector == ALL:
        return True
    if selector.startswith(KIND_PREFIX):
        return selector[len(KIND_PREFIX) :] in _KINDS
    return bool(_UNIT_CODE_RE.match(selector)) and ":" not in selector


def selector_matches(selector: str, unit_code: str, unit_kind: str) -> bool:
    """Does this selector name the unit (by code, by kind, or `all`)?"""
    if selector == ALL:
        return True
    if selector.startswith(KIND_PREFIX):
        return selector[len(KIND_PREFIX) :] == unit_kind
    return selector == unit_code


def task_concerns_unit(task: PlanTask, unit_code: str, unit_kind: str) -> bool:
    """A unit cares about a task it is responsible for or cooperates on."""
    return any(
        selector_matches(s, unit_code, unit_kind) for s in (*task.responsible, *task.cooperating)
    )


def _rebase_date(day: date, year: int) -> date:
    if day.month == 2 and day.day == 29:
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return day.replace(year=year)


def rebase(plan: Plan, year: int) -> Plan:
    """The same plan moved onto `year`: each date keeps its month and day (Feb 29 -> 28).

    Dates in a later year than the plan's (e.g. a January deadline of the next year)
    keep that offset.
    """
    shift = year - plan.year

    def move(m: PlanMilestone) -> PlanMilestone:
        return replace(m, due=_rebase_date(m.due, m.due.year + shift))

    campaigns = tuple(
        replace(
            c,
            tasks=tuple(
                replace(t, milestones=tuple(move(m) for m in t.milestones)) for t in c.tasks
            ),
        )
        for c in plan.campaigns
    )
    return replace(plan, year=year, campaigns=campaigns)


# --- parsing -------------------------------------------------------------------------


def _text(node: Mapping[str, Any], key: str, where: str) -> str:
    value = node.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PlanError(f"{where}.{key}: a non-empty string is required")
    return value.strip()


def _int(node: Mapping[str, Any], key: str, where: str) -> int:
    value = node.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PlanError(f"{where}.{key}: a positive whole number is required")
    return value


def _list(node: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = node.get(key, [])
    if not isinstance(value, list):
        raise PlanError(f"{where}.{key}: a list is required")
    return value


def _selectors(node: Mapping[str, Any], key: str, where: str, required: bool) -> tuple[str, ...]:
    raw = node.get(key, [])
    if isinstance(raw, str):
        raw = raw.split()
    if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        raise PlanError(f"{where}.{key}: a list of unit selectors is required")
    selectors = tuple(s.strip() for s in raw if s.strip())
    for selector in selectors:
        if not is_valid_selector(selector):
            raise PlanError(
                f"{where}.{key}: bad selector {selector!r} "
                f"(a unit code, kind:<{'|'.join(sorted(_KINDS))}> or all)"
            )
    if required and not selectors:
        raise PlanError(f"{where}.{key}: at least one unit selector is required")
    return selectors


def _date(node: Mapping[str, Any], key: str, where: str) -> date:
    value = node.get(key)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PlanError(f"{where}.{key}: a date YYYY-MM-DD is required")


def _unique(numbers: list[int], where: str) -> None:
    if len(set(numbers)) != len(numbers):
        raise PlanError(f"{where}: numbers must be unique, got {numbers}")


def _tables(
    node: Mapping[str, Any], key: str, where: str
) -> Iterator[tuple[Mapping[str, Any], str]]:
    """Each table of the list `key`, with its place for error messages (`tasks[2]`)."""
    for index, item in enumerate(_list(node, key, where)):
        place = f"{where}.{key}[{index}]" if where != "plan" else f"{key}[{index}]"
        if not isinstance(item, dict):
            raise PlanError(f"{place}: a table is required")
        yield item, place


def _titles(node: Mapping[str, Any], where: str) -> dict[str, str]:
    """The Chinese and English titles every campaign, task and milestone carries."""
    return {"title_zh": _text(node, "title_zh", where), "title_en": _text(node, "title_en", where)}


def _task(node: Mapping[str, Any], where: str) -> PlanTask:
    milestones = sorted(
        (
            PlanMilestone(due=_date(m, "due", mw), **_titles(m, mw))
            for m, mw in _tables(node, "milestones", where)
        ),
        key=lambda m: m.due,
    )
    dues = [m.due for m in milestones]
    if len(set(dues)) != len(dues):
        raise PlanError(f"{where}: two milestones share a due date")
    return PlanTask(
        number=_int(node, "number", where),
        **_titles(node, where),
        responsible=_selectors(node, "responsible", where, required=True),
        cooperating=_selectors(node, "cooperating", where, required=False),
        milestones=tuple(milestones),
    )


def _campaign(node: Mapping[str, Any], where: str) -> PlanCampaign:
    tasks = [_task(t, tw) for t, tw in _tables(node, "tasks", where)]
    _unique([t.number for t in tasks], f"{where}.tasks")
    return PlanCampaign(
        number=_int(node, "number", where),
        **_titles(node, where),
        leader=_text(node, "leader", where),
        tasks=tuple(tasks),
    )


def parse_plan(data: Mapping[str, Any]) -> Plan:
    """Build a Plan from the TOML document; raises PlanError naming the bad field."""
    year = _int(data, "year", "plan")
    campaigns = [_campaign(c, cw) for c, cw in _tables(data, "campaigns", "plan")]
    if not campaigns:
        raise PlanError("plan: at least one [[campaigns]] is required")
    _unique([c.number for c in campaigns], "campaigns")
    try:
        reminders = parse_reminder_rules(data.get("reminders"))
    except ReminderRuleError as error:
        raise PlanError(str(error)) from None
    return Plan(
        year=year,
        campaigns=tuple(campaigns),
        reminders=reminders,
        dropout_due=_dropout_due(data.get("dropout_cases")),
    )


def _dropout_due(section: object) -> DueRules:
    """[dropout_cases] acknowledge_days, verify_days, resolve_days (each 1-365)."""
    if section is None:
        return DueRules()
    if not isinstance(section, dict):
        raise PlanError("dropout_cases: a table is required")
    values = {}
    for key, default in (
        ("acknowledge_days", ACKNOWLEDGE_DAYS),
        ("verify_days", VERIFY_DAYS),
        ("resolve_days", RESOLVE_DAYS),
    ):
        value = section.get(key, default)
        if not isinstance(value, int) or not 1 <= value <= 365:
            raise PlanError(f"dropout_cases.{key}: a whole number of days from 1 to 365")
        values[key] = value
    return DueRules(**values)
