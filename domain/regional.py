"""A region's figures: its counties' own totals, and their sums.

A prefecture or province supervisor reads every county of the region (domain.tenancy). What
they see must add up: the region's households, village visits and ledgers are the exact sums
of the counties' integers (assigned and covered), never an average of the counties'
percentages, which would weigh a county of 300 households like one of 30,000. Each county's
row is the county's own total, as its own report shows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from domain.coverage import Coverage
from domain.tenancy import region_text


@dataclass(frozen=True)
class CountyFigures:
    """One county's totals (or the sum of several counties'), for a region's report.

    `code` is the county's short name (slug), or the region's path for a sum; `counties` is
    how many counties the figures add up.
    """

    code: str
    name: str
    region: tuple[str, ...]
    households: Coverage
    villages: Coverage
    ledgers: Coverage
    counties: int = 1


@dataclass(frozen=True)
class RegionalCoverage:
    """A region's report for one quarter: the counties in a stable order, the subregions one
    level below the region (a province's prefectures) and the region's total."""

    region: tuple[str, ...]
    period: str
    month: str
    ledger_year: int
    counties: tuple[CountyFigures, ...]
    subregions: tuple[CountyFigures, ...]
    total: CountyFigures


def _sum(figures: Iterable[Coverage]) -> Coverage:
    assigned = covered = 0
    for figure in figures:
        assigned += figure.assigned
        covered += figure.covered
    return Coverage("total", "", assigned, covered)


def add_up(rows: Sequence[CountyFigures], region: tuple[str, ...]) -> CountyFigures:
    """The sum of counties' figures: each count is the sum of the counties' integers."""
    name = region[-1] if region else ""
    return CountyFigures(
        code=region_text(region),
        name=name,
        region=region,
        households=_sum(row.households for row in rows),
        villages=_sum(row.villages for row in rows),
        ledgers=_sum(row.ledgers for row in rows),
        counties=sum(row.counties for row in rows),
    )


def county_order(row: CountyFigures) -> tuple[tuple[str, ...], str]:
    """Counties listed by region path, then short name (unique): the same order every time."""
    return row.region, row.code


def regional_coverage(
    region: tuple[str, ...],
    period: str,
    month: str,
    ledger_year: int,
    counties: Iterable[CountyFigures],
) -> RegionalCoverage:
    """The region's report from its counties' rows: sorted, subtotalled one level below the
    region where counties lie deeper (a province by prefecture), and totalled."""
    rows = tuple(sorted(counties, key=county_order))
    depth = len(region) + 1
    groups: dict[tuple[str, ...], list[CountyFigures]] = {}
    for row in rows:
        if len(row.region) >= depth:
            groups.setdefault(row.region[:depth], []).append(row)
    subregions = tuple(add_up(groups[key], key) for key in sorted(groups))
    return RegionalCoverage(
        region=region,
        period=period,
        month=month,
        ledger_year=ledger_year,
        counties=rows,
        subregions=subregions,
        total=add_up(rows, region),
    )
