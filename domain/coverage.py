"""Coverage figures: how many paired households were visited in a period."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from domain.periods import Month, Quarter


@dataclass(frozen=True, slots=True)
class Coverage:
    """Covered out of assigned, for one cadre, unit, township or the county."""

    key: str
    name: str
    assigned: int
    covered: int

    @property
    def ratio(self) -> float | None:
        """Covered share; None when nothing is assigned: 0 of 0 is no duty, never 100%."""
        return self.covered / self.assigned if self.assigned else None


@dataclass(frozen=True)
class VillageCoverage:
    """Pairing units that went to their village in a month (a unit-village pair is one)."""

    month: str
    total: Coverage
    by_unit: tuple[Coverage, ...] = ()
    by_township: tuple[Coverage, ...] = ()


@dataclass(frozen=True)
class LedgerCoverage:
    """Households whose ledger of the year is complete, out of those held."""

    year: int
    total: Coverage
    by_unit: tuple[Coverage, ...] = ()
    by_township: tuple[Coverage, ...] = ()
    by_cadre: tuple[Coverage, ...] = ()


@dataclass(frozen=True)
class CoverageReport:
    """The figures one person may see for one quarter."""

    period: str
    scope: str
    total: Coverage
    by_unit: tuple[Coverage, ...] = ()
    by_township: tuple[Coverage, ...] = ()
    by_cadre: tuple[Coverage, ...] = ()
    villages: VillageCoverage | None = None
    ledgers: LedgerCoverage | None = None
    # Visits of the period whose location was far from the place: flagged, never refused.
    far_visits: int = 0
    # Set when a supervisor narrowed the report to a unit, township or cadre.
    focus_name: str = ""
    focus_code: str = ""


def sum_by(items: Iterable[tuple[str, str, int, int]]) -> tuple[Coverage, ...]:
    """Add up (key, name, assigned, covered) items per key, sorted by key."""
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for key, name, assigned, covered in items:
        bucket = sums[(key, name)]
        bucket[0] += assigned
        bucket[1] += covered
    return tuple(
        Coverage(key, name, assigned, covered)
        for (key, name), (assigned, covered) in sorted(sums.items())
    )


def village_month_for(quarter: Quarter, today: date) -> Month:
    """The month whose village visits a quarter's report shows: this month, or its last one."""
    if today in quarter:
        return Month.containing(today)
    return Month.containing(quarter.last_day)


def total_of(rows: tuple[Coverage, ...], key: str, name: str) -> Coverage:
    """Sum rows into one figure (e.g. the county total from its units)."""
    return Coverage(key, name, sum(r.assigned for r in rows), sum(r.covered for r in rows))
