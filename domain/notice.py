"""The supervisors' monthly notice (月通报): how units rank, which milestones are overdue.

The plan's leadership group publishes a monthly notice ranking units on their pairing work and
naming overdue tasks. The ranking rule is deliberately simple so a unit can check it by hand:
household-visit coverage of the quarter so far first, then the month's village visit, then
ledger completion, then fewer overdue milestones; equal units share a rank (1, 2, 2, 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.coverage import Coverage


@dataclass(frozen=True)
class UnitStanding:
    """One unit's figures for the notice."""

    unit_code: str
    unit_name: str
    households: Coverage
    villages: Coverage
    ledgers: Coverage
    overdue_milestones: int


@dataclass(frozen=True)
class RankedUnit:
    rank: int
    standing: UnitStanding


@dataclass(frozen=True)
class OverdueMilestone:
    """A milestone past its due date that some concerned units have not reported done."""

    due_date: date
    title: str
    days_overdue: int
    units_not_done: tuple[str, ...]  # unit names


def has_households(standing: UnitStanding) -> bool:
    """Household coverage comes first in the ranking: a unit without paired households has
    nothing to be ranked on there and is not ranked (the notice lists it apart)."""
    return standing.households.assigned > 0


def _criteria(standing: UnitStanding) -> tuple[float | None, ...]:
    """Higher is better on each; None where the unit has no duty (0 of 0, not 100%)."""
    return (
        standing.households.ratio,
        standing.villages.ratio,
        standing.ledgers.ratio,
        -float(standing.overdue_milestones),
    )


def _tie_groups(standings: list[UnitStanding], depth: int = 0) -> list[list[UnitStanding]]:
    """Split equal units on the next criterion, best first. A criterion on which one of them
    has no duty decides nothing among them (it is skipped for the whole group): a unit that
    owes nothing there is neither ahead of nor behind the others on it."""
    if len(standings) <= 1 or depth == len(_criteria(standings[0])):
        return [standings] if standings else []
    values = [_criteria(s)[depth] for s in standings]
    if any(v is None for v in values):
        return _tie_groups(standings, depth + 1)
    groups: list[list[UnitStanding]] = []
    for value in sorted({v for v in values if v is not None}, reverse=True):
        same = [s for s, v in zip(standings, values, strict=True) if v == value]
        groups += _tie_groups(same, depth + 1)
    return groups


def rank_units(standings: list[UnitStanding]) -> list[RankedUnit]:
    """Units with paired households, best first; units equal on every criterion they share
    share a rank (standard competition ranking: 1, 2, 2, 4); by code within a rank."""
    ranked: list[RankedUnit] = []
    by_code = sorted((s for s in standings if has_households(s)), key=lambda s: s.unit_code)
    for group in _tie_groups(by_code):
        rank = len(ranked) + 1
        ranked += [RankedUnit(rank, standing) for standing in group]
    return ranked


def not_ranked(standings: list[UnitStanding]) -> list[UnitStanding]:
    """Units with pairing duties but no paired households (e.g. a village only), by code."""
    return sorted((s for s in standings if not has_households(s)), key=lambda s: s.unit_code)


def overdue_on(due_date: date, as_of: date) -> int | None:
    """Days overdue on `as_of` (local date), or None while not yet due."""
    days = (as_of - due_date).days
    return days if days > 0 else None
