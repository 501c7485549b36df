"""`cadrebot report compliance` and `report far-visits`: machine-readable, JSON or CSV."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Iterator
from json.encoder import encode_basestring

from bot.cli.bulk import no_cycle_collection
from bot.cli.exported import record
from bot.cli.invocation import Invocation
from bot.cli.output import JsonPieces, csv_text, json_text, usage_error, write_json
from domain.audit import COMPLIANCE, FAR_VISITS
from domain.clock import local_today
from domain.coverage import Coverage, CoverageReport
from domain.periods import Quarter
from domain.spreadsheet import csv_row
from services.evidence import far_visits
from services.reports.compliance import county_compliance


async def execute(args: argparse.Namespace, cli: Invocation) -> int:
    if args.format not in ("json", "csv"):
        return usage_error(f"report {args.kind}: use --format json or csv")
    quarter = Quarter.parse(args.period) if args.period else None
    if args.kind == "far-visits":
        return await report_far_visits(cli, quarter, args.format)
    return await report_compliance(cli, quarter, args.format)


async def report_compliance(cli: Invocation, quarter: Quarter | None, fmt: str) -> int:
    """County coverage by unit, township and cadre; the month's villages; the ledgers."""
    settings = cli.settings
    with no_cycle_collection():
        async with cli.sessionmaker() as session:
            report = await county_compliance(
                session, quarter, cli.clock, settings.tz, settings.ledger_season_opens_month_day
            )
        await record(cli, COMPLIANCE, fmt, compliance_rows(report), period=report.period)
        if fmt == "json":
            write_json(_compliance_payload(report), sys.stdout.write)
        else:
            sys.stdout.write(compliance_csv(report))
    return 0


async def report_far_visits(cli: Invocation, quarter: Quarter | None, fmt: str) -> int:
    """Visits whose reported location was far from the place, for supervisors to look at."""
    quarter = quarter or Quarter.containing(local_today(cli.clock, cli.settings.tz))
    async with cli.sessionmaker() as session:
        rows = await far_visits(session, quarter.first_day, quarter.last_day)
    records = [
        {
            "kind": str(row.kind),
            "visit_date": row.visit_date.isoformat(),
            "place_code": row.place_code,
            "place_name": row.place_name,
            "cadre_code": row.cadre_code,
            "cadre_name": row.cadre_name,
            "unit_code": row.unit_code,
            "distance_m": round(row.distance_m),
            "accuracy_m": row.accuracy_m,
        }
        for row in rows
    ]
    await record(cli, FAR_VISITS, fmt, len(records), period=str(quarter))
    if fmt == "json":
        sys.stdout.write(
            json_text({"period": str(quarter), "count": len(records), "visits": records})
        )
    else:
        sys.stdout.write(csv_text(list(records[0]) if records else ["kind"], records))
    return 0


def compliance_rows(report: CoverageReport) -> int:
    """The report's records: its CSV's lines after the header (the JSON holds the same)."""
    rows = 1 + len(report.by_unit) + len(report.by_township) + len(report.by_cadre)
    if (villages := report.villages) is not None:
        rows += 1 + len(villages.by_unit) + len(villages.by_township)
    if (ledgers := report.ledgers) is not None:
        rows += 1 + len(ledgers.by_unit) + len(ledgers.by_township) + len(ledgers.by_cadre)
    return rows


def compliance_json(report: CoverageReport) -> str:
    """The report as one JSON document; sections absent from the report stay absent."""
    pieces: list[str] = []
    write_json(_compliance_payload(report), pieces.append)
    return "".join(pieces)


def _compliance_payload(report: CoverageReport) -> dict[str, object]:
    """The JSON document's shape; the long lists of rows are written as they are read."""
    payload: dict[str, object] = {
        "period": report.period,
        **_levels(report.total, report.by_unit, report.by_township, report.by_cadre),
    }
    if (villages := report.villages) is not None:
        payload["village_visits"] = {
            "month": villages.month,
            **_levels(villages.total, villages.by_unit, villages.by_township),
        }
    if (ledgers := report.ledgers) is not None:
        payload["ledgers"] = {
            "year": ledgers.year,
            **_levels(ledgers.total, ledgers.by_unit, ledgers.by_township, ledgers.by_cadre),
        }
    return payload


def _levels(
    total: Coverage,
    by_unit: tuple[Coverage, ...],
    by_township: tuple[Coverage, ...],
    by_cadre: tuple[Coverage, ...] | None = None,
) -> dict[str, object]:
    """{"total": ..., "by_unit": [{unit_code, name, assigned, covered}, ...], ...}"""

    def rows(items: tuple[Coverage, ...], key: str) -> JsonPieces | list[object]:
        return (lambda newline: _coverage_rows(items, key, newline)) if items else []

    section: dict[str, object] = {
        "total": {"assigned": total.assigned, "covered": total.covered},
        "by_unit": rows(by_unit, "unit_code"),
        "by_township": rows(by_township, "township_code"),
    }
    if by_cadre is not None:
        section["by_cadre"] = rows(by_cadre, "cadre_code")
    return section


def _coverage_rows(items: tuple[Coverage, ...], key: str, newline: str) -> Iterator[str]:
    """`[{key: code, "name": ..., "assigned": n, "covered": n}, ...]` as json.dumps(indent=2)
    writes it, a thousand rows a piece."""
    inner = newline + "  "
    field = inner + "  "
    template = (
        "{{" + field + encode_basestring(key) + ": {}," + field + '"name": {},'
        + field + '"assigned": {},' + field + '"covered": {}' + inner + "}}"
    )  # fmt: skip
    separator = "," + inner
    yield "[" + inner
    for start in range(0, len(items), 1000):
        yield separator.join(
            template.format(
                encode_basestring(row.key), encode_basestring(row.name), row.assigned, row.covered
            )
            for row in items[start : start + 1000]
        ) + (separator if start + 1000 < len(items) else "")
    yield newline + "]"


def compliance_csv(report: CoverageReport) -> str:
    """One line per (period, level, code): county, unit, township, cadre, then villages, ledgers.

    Names are escaped as in every CSV we write (domain/spreadsheet.py): none runs as a formula.
    """
    rows: list[list[object]] = [["period", "level", "code", "name", "assigned", "covered"]]
    by_level = {"unit": report.by_unit, "township": report.by_township, "cadre": report.by_cadre}
    rows += _section(report.period, "county", report.total, by_level)
    if report.villages is not None:
        villages = report.villages
        by_level = {"village_unit": villages.by_unit, "village_township": villages.by_township}
        rows += _section(villages.month, "village_county", villages.total, by_level)
    if report.ledgers is not None:
        ledgers = report.ledgers
        by_level = {
            "ledger_unit": ledgers.by_unit,
            "ledger_township": ledgers.by_township,
            "ledger_cadre": ledgers.by_cadre,
        }
        rows += _section(str(ledgers.year), "ledger_county", ledgers.total, by_level)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(csv_row(row) for row in rows)
    return buffer.getvalue()


def _section(
    period: str, county: str, total: Coverage, by_level: dict[str, tuple[Coverage, ...]]
) -> list[list[object]]:
    rows: list[list[object]] = [[period, county, "", "", total.assigned, total.covered]]
    for level, items in by_level.items():
        rows.extend([period, level, row.key, row.name, row.assigned, row.covered] for row in items)
    return rows
