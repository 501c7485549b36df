"""Coverage reports: each person sees the part of the county their role allows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.coverage import Coverage, CoverageReport, total_of
from domain.periods import Quarter
from domain.roles import ComplianceScope, compliance_scope
from services.actors import Actor
from storage.coverage import CoverageCell, coverage_cells


def period_end_instant(quarter: Quarter, tz: ZoneInfo) -> datetime:
    """Midnight after the quarter's last day, local time: who holds a household then counts."""
    return datetime.combine(quarter.last_day + timedelta(days=1), time.min, tzinfo=tz)


def _group(
    cells: Iterable[CoverageCell], key: Callable[[CoverageCell], tuple[str, str]]
) -> tuple[Coverage, ...]:
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for cell in cells:
        bucket = sums[key(cell)]
        bucket[0] += cell.assigned
        bucket[1] += cell.covered
    return tuple(
        Coverage(code, name, assigned, covered)
        for (code, name), (assigned, covered) in sorted(sums.items())
    )


def build_report(
    quarter: Quarter, scope: ComplianceScope, cells: list[CoverageCell], total_name: str = ""
) -> CoverageReport:
    """Fold the (cadre, township) cells into the rows the scope shows."""
    by_cadre = _group(cells, lambda c: (c.cadre_code, c.cadre_name))
    by_unit = _group(cells, lambda c: (c.unit_code, c.unit_name))
    by_township = _group(cells, lambda c: (c.township_code, c.township_name))
    return CoverageReport(
        period=str(quarter),
        scope=scope.value,
        total=total_of(by_cadre, "total", total_name),
        by_unit=by_unit if scope is ComplianceScope.COUNTY else (),
        by_township=by_township if scope is ComplianceScope.COUNTY else (),
        by_cadre=by_cadre if scope is not ComplianceScope.OWN else (),
    )


async def compliance_for(
    session: AsyncSession, actor: Actor, quarter: Quarter | None, clock: Clock, tz: ZoneInfo
) -> CoverageReport:
    """The actor's view: own households, the unit by cadre, or the county by unit and township.

    With no quarter given, the current one in the plan's time zone.
    """
    quarter = quarter or Quarter.containing(local_today(clock, tz))
    scope = compliance_scope(actor.role)
    async with session.begin():
        cells = await coverage_cells(
            session,
            quarter.first_day,
            quarter.last_day,
            period_end_instant(quarter, tz),
            unit_id=actor.unit_id if scope is ComplianceScope.UNIT else None,
            cadre_id=actor.cadre_id if scope is ComplianceScope.OWN else None,
        )
    return build_report(quarter, scope, cells)


async def county_compliance(
    session: AsyncSession, quarter: Quarter | None, clock: Clock, tz: ZoneInfo
) -> CoverageReport:
    """The whole county with every breakdown, for machine-readable reports."""
    quarter = quarter or Quarter.containing(local_today(clock, tz))
    async with session.begin():
        cells = await coverage_cells(
            session, quarter.first_day, quarter.last_day, period_end_instant(quarter, tz)
        )
    return build_report(quarter, ComplianceScope.COUNTY, cells)
