"""Coverage figures: how many paired households were visited in a period."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Coverage:
    """Covered out of assigned, for one cadre, unit, township or the county."""

    key: str
    name: str
    assigned: int
    covered: int

    @property
    def ratio(self) -> float:
        return self.covered / self.assigned if self.assigned else 1.0

    @property
    def percent(self) -> str:
        return f"{100 * self.ratio:.0f}%"


@dataclass(frozen=True)
class CoverageReport:
    """The figures one person may see for one quarter."""

    period: str
    scope: str
    total: Coverage
    by_unit: tuple[Coverage, ...] = ()
    by_township: tuple[Coverage, ...] = ()
    by_cadre: tuple[Coverage, ...] = ()


def total_of(rows: tuple[Coverage, ...], key: str, name: str) -> Coverage:
    """Sum rows into one figure (e.g. the county total from its units)."""
    return Coverage(key, name, sum(r.assigned for r in rows), sum(r.covered for r in rows))
