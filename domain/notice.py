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


def _sort_key(standing: UnitStanding) -> tuple[float, float, float, int]:
    # Coverage.ratio is 1.0 when nothing is assigned: a unit that owes nothing is not behind.
    return (
        -standing.households.ratio,
        -standing.villages.ratio,
        -standing.ledgers.ratio,
        standing.overdue_milestones,
    )


def rank_units(standings: list[UnitStanding]) -> list[RankedUnit]:
    """Best first; units equal on every figure share a rank (standard competition ranking)."""
    ordered = sorted(standings, key=lambda s: (_sort_key(s), s.unit_code))
    ranked: list[RankedUnit] = []
    for position, standing in enumerate(ordered, 1):
        if ranked and _sort_key(ranked[-1].standing) == _sort_key(standing):
            ranked.append(RankedUnit(ranked[-1].rank, standing))
        else:
            ranked.append(RankedUnit(position, standing))
    return ranked


def overdue_on(due_date: date, as_of: date) -> int | None:
    """Days overdue on `as_of` (local date), or None while not yet due."""
    days = (as_of - due_date).days
    return days if days > 0 else None
