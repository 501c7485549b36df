"""`cadrebot report schooling`: enrolment and dropout rates as JSON, CSV or a workbook."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import fields
from decimal import Decimal
from pathlib import Path

from bot.cli.invocation import Invocation
from bot.cli.output import csv_text, json_text, usage_error
from domain.clock import local_today
from domain.schooling import STAGE_AGES, THRESHOLDS, school_year_of
from services.reports.schooling import RateRecord, county_rates, rate_records

CSV_FIELDS = [
    "school_year",
    "level",
    "township_code",
    "township",
    "village_code",
    "village",
    "stage",
    "children",
    "in_school",
    "suspected",
    "dropouts",
    "exempted",
    "other",
    "enrolment_percent",
    "dropout_percent",
    "enrolment_min",
    "dropout_max",
    "below",
]


async def execute(args: argparse.Namespace, cli: Invocation) -> int:
    return await write_schooling(cli, args.format, args.output, args.year)


def school_year(cli: Invocation, year: int | None) -> int:
    """--year, else the school year of today in the plan's zone (it starts on Sept 1)."""
    return year if year is not None else school_year_of(local_today(cli.clock, cli.settings.tz))


async def write_schooling(cli: Invocation, fmt: str, output: Path | None, year: int | None) -> int:
    """Rates per county, township, village and stage as JSON, CSV (stdout or file) or xlsx."""
    if fmt not in ("json", "csv", "xlsx"):
        return usage_error("report schooling: --format json, csv or xlsx")
    wanted = school_year(cli, year)
    async with cli.sessionmaker() as session:
        records = rate_records(await county_rates(session, wanted))
    if fmt == "xlsx":
        from services.files.schooling import rates_workbook  # openpyxl for this format only

        target = output or cli.settings.reports_dir / f"schooling-{wanted}.xlsx"
        target.parent.mkdir(parents=True, exist_ok=True)
        data = await asyncio.to_thread(rates_workbook, records, wanted)
        await asyncio.to_thread(target.write_bytes, data)
        print(f"wrote {target}", file=sys.stderr)
        return 0
    text = (schooling_json if fmt == "json" else schooling_csv)(records, wanted)
    if output is None:
        sys.stdout.write(text)
    else:
        await asyncio.to_thread(output.write_text, text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    return 0


# RateRecord's fields, in order: its values are flat (dataclasses.asdict deep-copied each,
# two thirds of a province's report).
_FIELDS = tuple(field.name for field in fields(RateRecord))


def _plain(record: RateRecord) -> dict[str, object]:
    values: dict[str, object] = {}
    for name in _FIELDS:
        value = getattr(record, name)
        values[name] = str(value) if isinstance(value, Decimal) else value
    values["below"] = list(record.below)
    return values


def schooling_json(records: list[RateRecord], school_year: int) -> str:
    """The rates with the rules they were computed by, so a reader can check them."""
    return json_text(
        {
            "school_year": school_year,
            "age_rule": "age on September 1 of the school year",
            "stage_ages": {stage: list(ages) for stage, ages in STAGE_AGES.items()},
            "thresholds": {
                stage: {"enrolment_min": str(t.enrolment_min), "dropout_max": str(t.dropout_max)}
                for stage, t in THRESHOLDS.items()
            },
            "rates": [_plain(r) for r in records],
            "below_threshold": [_plain(r) for r in records if r.below],
        }
    )


def schooling_csv(records: list[RateRecord], school_year: int) -> str:
    rows = [
        {"school_year": school_year, **_plain(record), "below": " ".join(record.below)}
        for record in records
    ]
    return csv_text(CSV_FIELDS, rows, lineterminator="\n")
