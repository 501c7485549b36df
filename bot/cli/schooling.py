"""`cadrebot report schooling`: enrolment and dropout rates as JSON, CSV or a workbook."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import fields
from operator import attrgetter
from pathlib import Path

from bot.cli.bulk import no_cycle_collection
from bot.cli.exported import record
from bot.cli.invocation import Invocation
from bot.cli.output import csv_text, flat_records, usage_error, write_json
from domain.audit import SCHOOLING
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
    with no_cycle_collection():
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
        await record(cli, SCHOOLING, fmt, len(records), period=str(wanted), files=[target])
        await asyncio.to_thread(target.write_bytes, data)
        print(f"wrote {target}", file=sys.stderr)
        return 0
    text = (schooling_json if fmt == "json" else schooling_csv)(records, wanted)
    written = [] if output is None else [output]
    await record(cli, SCHOOLING, fmt, len(records), period=str(wanted), files=written)
    if output is None:
        sys.stdout.write(text)
    else:
        await asyncio.to_thread(output.write_text, text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    return 0


# RateRecord's fields, in order, and where its Decimals are (written as strings).
_FIELDS = tuple(field.name for field in fields(RateRecord))
_FIELD_VALUES = attrgetter(*_FIELDS)
_DECIMALS = tuple(
    index for index, field in enumerate(fields(RateRecord)) if "Decimal" in str(field.type)
)


def _values(record: RateRecord) -> list[object]:
    """The record's values in `_FIELDS` order, as JSON and CSV write them."""
    values: list[object] = list(_FIELD_VALUES(record))
    for index in _DECIMALS:
        if values[index] is not None:
            values[index] = str(values[index])
    return values


def schooling_json(records: list[RateRecord], school_year: int) -> str:
    """The rates with the rules they were computed by, so a reader can check them."""
    rows = [_values(r) for r in records]
    below = [row for row, record in zip(rows, records, strict=True) if record.below]
    payload = {
        "school_year": school_year,
        "age_rule": "age on September 1 of the school year",
        "stage_ages": {stage: list(ages) for stage, ages in STAGE_AGES.items()},
        "thresholds": {
            stage: {"enrolment_min": str(t.enrolment_min), "dropout_max": str(t.dropout_max)}
            for stage, t in THRESHOLDS.items()
        },
        "rates": flat_records(_FIELDS, rows),
        "below_threshold": flat_records(_FIELDS, below),
    }
    pieces: list[str] = []
    write_json(payload, pieces.append)
    return "".join(pieces)


def schooling_csv(records: list[RateRecord], school_year: int) -> str:
    rows = [
        {
            "school_year": school_year,
            **dict(zip(_FIELDS, _values(record), strict=True)),
            "below": " ".join(record.below),
        }
        for record in records
    ]
    return csv_text(CSV_FIELDS, rows, lineterminator="\n")
