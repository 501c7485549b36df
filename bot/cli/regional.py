"""`cadrebot report compliance --region 云南省/昭通市`: every county of a region, and the sums.

A command on many counties: it opens the deployment's registry (storage.tenancy), not one
county's tables, so it takes no --tenant. Each county is read through its own session
factory; the region's figures are the sums of the counties' own (services.reports.regional).

The export audit has no table in the registry: each county read records the export in its
own schema (the same row in each: the region as scope, the report's lines as rows), so a
county's `report audit` shows every export its figures went into.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys

from bot.cli.exported import cli_export, record_in
from bot.cli.output import json_text, usage_error
from bot.settings import Settings
from domain.audit import REGIONAL_COMPLIANCE
from domain.clock import Clock
from domain.periods import Quarter
from domain.regional import CountyFigures, RegionalCoverage
from domain.spreadsheet import csv_row
from domain.tenancy import TenantRefused, parse_region, region_text
from services.reports.regional import counties_in_region, regional_compliance
from storage.db import log_statement_durations
from storage.migrate import upgrade_if_behind
from storage.tenancy import county_sessionmaker, open_county_engine

CSV_HEADER = (
    "period",
    "village_month",
    "ledger_year",
    "level",
    "code",
    "name",
    "region",
    "counties",
    "households_assigned",
    "households_covered",
    "village_visits_assigned",
    "village_visits_covered",
    "ledgers_assigned",
    "ledgers_covered",
)


async def execute(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    if args.kind != "compliance":
        return usage_error(f"report {args.kind}: --region works with compliance only")
    if args.format not in ("json", "csv"):
        return usage_error("report compliance --region: use --format json or csv")
    if getattr(args, "tenant", None) is not None:
        return usage_error("report compliance --region reads every county of it: drop --tenant")
    region = parse_region(args.region)
    if settings.database_url.startswith("sqlite"):
        raise TenantRefused("tenant_sqlite")
    quarter = Quarter.parse(args.period) if args.period else None
    engine = await open_county_engine(settings.database_url)
    if getattr(args, "verbose", False):
        log_statement_durations(engine)
    try:
        counties = await counties_in_region(engine, region)
        for county in counties:  # as every command on a county: its schema at head first
            await upgrade_if_behind(engine, county.schema)
        report = await regional_compliance(
            engine,
            region,
            quarter,
            clock,
            settings.tz,
            settings.ledger_season_opens_month_day,
            counties,
        )
        text = regional_json(report) if args.format == "json" else regional_csv(report)
        lines = 1 + len(report.subregions) + len(report.counties)
        export = cli_export(
            clock,
            REGIONAL_COMPLIANCE,
            args.format,
            lines,
            scope=region_text(report.region),
            period=report.period,
        )
        for county in counties:
            await record_in(county_sessionmaker(engine, county), export)
    finally:
        await engine.dispose()
    sys.stdout.write(text)
    return 0


def regional_json(report: RegionalCoverage) -> str:
    """The region's total, its subregions (a province's prefectures), then each county."""
    payload: dict[str, object] = {
        "region": region_text(report.region),
        "period": report.period,
        "village_month": report.month,
        "ledger_year": report.ledger_year,
        "total": _figures(report.total),
        "by_subregion": [
            {"region": row.code, "name": row.name, **_figures(row)} for row in report.subregions
        ],
        "by_county": [
            {
                "county": row.code,
                "name": row.name,
                "region": region_text(row.region),
                **_figures(row),
            }
            for row in report.counties
        ],
    }
    return json_text(payload)


def _figures(row: CountyFigures) -> dict[str, object]:
    return {
        "counties": row.counties,
        "households": {"assigned": row.households.assigned, "covered": row.households.covered},
        "village_visits": {"assigned": row.villages.assigned, "covered": row.villages.covered},
        "ledgers": {"assigned": row.ledgers.assigned, "covered": row.ledgers.covered},
    }


def regional_csv(report: RegionalCoverage) -> str:
    """One line for the region, one per subregion, one per county; names escaped as in every
    CSV we write (domain/spreadsheet.py): none runs as a formula."""
    head = [report.period, report.month, report.ledger_year]
    rows: list[list[object]] = [list(CSV_HEADER)]
    rows.append([*head, "region", *_line(report.total)])
    rows += [[*head, "subregion", *_line(row)] for row in report.subregions]
    rows += [[*head, "county", *_line(row)] for row in report.counties]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(csv_row(row) for row in rows)
    return buffer.getvalue()


def _line(row: CountyFigures) -> list[object]:
    return [
        row.code,
        row.name,
        region_text(row.region),
        row.counties,
        row.households.assigned,
        row.households.covered,
        row.villages.assigned,
        row.villages.covered,
        row.ledgers.assigned,
        row.ledgers.covered,
    ]
