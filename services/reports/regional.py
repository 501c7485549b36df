"""A region's compliance: every county of a prefecture or province, each read on its own.

Each county's report is the county's own (`county_compliance`, the same code as `cadrebot
--tenant COUNTY report compliance`), computed through that county's session factory, one
session per county: no statement ever spans two counties' schemas (storage.tenancy). The
region's figures are then the exact sums of those counties' integers (domain.regional).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import Clock, local_today
from domain.coverage import Coverage, CoverageReport
from domain.errors import InputRefused
from domain.periods import Quarter
from domain.regional import CountyFigures, RegionalCoverage, regional_coverage
from domain.tenancy import TenantRefused, region_covers, region_text
from services.reports.compliance import county_compliance
from storage.tenancy import County, county_sessionmaker, list_counties

# Counties read at once: a province has ~130; the deployment's pool keeps 10 connections.
CONCURRENT_COUNTIES = 4
_NOTHING = Coverage("total", "", 0, 0)


async def counties_in_region(engine: AsyncEngine, region: tuple[str, ...]) -> list[County]:
    """The counties a supervisor of `region` reads, or refused when there is none (a typo
    in the region reads nothing rather than an empty report of zeros)."""
    counties = [c for c in await list_counties(engine) if region_covers(region, c.region)]
    if not counties:
        raise TenantRefused("tenant_no_county", region=region_text(region))
    return counties


async def regional_compliance(
    engine: AsyncEngine,
    region: tuple[str, ...],
    quarter: Quarter | None,
    clock: Clock,
    tz: ZoneInfo,
    ledger_opens: tuple[int, int] = (9, 1),
    counties: Sequence[County] | None = None,
) -> RegionalCoverage:
    """Each county of `region` as its own report counts it, and the region's sums.

    `engine` is the deployment's (storage.tenancy.open_county_engine). The quarter defaults
    to the current one in `tz`, the deployment's time zone, and every county is read on that
    same day (the month of village visits, the ledger season); each county's households are
    those held at the quarter's end in its own time zone, as its own report counts them.
    `counties`: those of `region` already listed (`counties_in_region`), to skip the lookup.
    """
    if counties is None:
        counties = await counties_in_region(engine, region)
    today = local_today(clock, tz)
    quarter = quarter or Quarter.containing(today)
    if quarter.first_day > today:  # refused once, before any county is read
        raise InputRefused("compliance_future_quarter", quarter=str(quarter))
    gate = asyncio.Semaphore(CONCURRENT_COUNTIES)

    async def report_of(county: County) -> CoverageReport:
        async with gate, county_sessionmaker(engine, county)() as session:
            return await county_compliance(
                session, quarter, clock, _zone(county, tz), ledger_opens, today=today
            )

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(report_of(county)) for county in counties]
    except ExceptionGroup as failed:  # the others are cancelled; say what went wrong first
        raise failed.exceptions[0] from None
    reports = [task.result() for task in tasks]
    # Read on the same day, every county's report has the same month and ledger season.
    first = reports[0]
    return regional_coverage(
        region,
        str(quarter),
        first.villages.month if first.villages is not None else "",
        first.ledgers.year if first.ledgers is not None else 0,
        (county_figures(c, r) for c, r in zip(counties, reports, strict=True)),
    )


def county_figures(county: County, report: CoverageReport) -> CountyFigures:
    """A county's totals from its own report: households, the month's villages, ledgers."""
    return CountyFigures(
        code=county.slug,
        name=county.name,
        region=county.region,
        households=report.total,
        villages=report.villages.total if report.villages is not None else _NOTHING,
        ledgers=report.ledgers.total if report.ledgers is not None else _NOTHING,
    )


def _zone(county: County, deployment: ZoneInfo) -> ZoneInfo:
    return ZoneInfo(county.timezone) if county.timezone else deployment
