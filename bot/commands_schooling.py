"""`cadrebot report schooling` (rates) and `cadrebot report dropouts` (the three lists)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

from bot.settings import Settings
from domain.clock import SystemClock, local_today
from domain.schooling import STAGE_AGES, THRESHOLDS, school_year_of
from services.files.schooling import lists_workbook, rates_workbook
from services.reports.schooling import RateRecord, county_rates, rate_records, township_lists
from storage.db import make_engine, make_sessionmaker

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


def _school_year(settings: Settings, year: int | None) -> int:
    return year if year is not None else school_year_of(local_today(SystemClock(), settings.tz))


def _plain(record: RateRecord) -> dict[str, object]:
    values = asdict(record)
    for key, value in values.items():
        if isinstance(value, Decimal):
            values[key] = str(value)
    values["below"] = list(record.below)
    return values


def schooling_json(records: list[RateRecord], school_year: int) -> str:
    """The rates with the rules they were computed by, so a reader can check them."""
    document = {
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
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def schooling_csv(records: list[RateRecord], school_year: int) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        row = _plain(record)
        row["below"] = " ".join(record.below)
        writer.writerow({"school_year": school_year, **row})
    return out.getvalue()


async def write_schooling(
    settings: Settings, fmt: str, output: Path | None, year: int | None
) -> int:
    """Rates per county, township, village and stage as JSON, CSV (stdout or file) or xlsx."""
    if fmt not in ("json", "csv", "xlsx"):
        print("report schooling: --format json, csv or xlsx", file=sys.stderr)
        return 2
    school_year = _school_year(settings, year)
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            records = rate_records(await county_rates(session, school_year))
    finally:
        await engine.dispose()
    if fmt == "xlsx":
        target = output or Path(f"schooling-{school_year}.xlsx")
        data = await asyncio.to_thread(rates_workbook, records, school_year)
        await asyncio.to_thread(target.write_bytes, data)
        print(f"wrote {target}", file=sys.stderr)
        return 0
    text = (schooling_json if fmt == "json" else schooling_csv)(records, school_year)
    if output is None:
        sys.stdout.write(text)
    else:
        await asyncio.to_thread(output.write_text, text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    return 0


async def write_dropout_lists(
    settings: Settings, fmt: str, output_dir: Path, year: int | None
) -> int:
    """One workbook per township: children of school age, suspected dropouts, dropouts."""
    if fmt not in ("xlsx", "json"):  # json is the parser's default; the lists are workbooks
        print("report dropouts: --format xlsx (one workbook per township)", file=sys.stderr)
        return 2
    school_year = _school_year(settings, year)
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            townships = await township_lists(session, school_year)
    finally:
        await engine.dispose()
    if not townships:
        print(f"no children of school age in poor villages for {school_year}", file=sys.stderr)
        return 1
    output_dir.mkdir(parents=True, exist_ok=True)
    for lists in townships:
        target = output_dir / f"dropout-lists-{school_year}-{lists.code}.xlsx"
        data = await asyncio.to_thread(lists_workbook, lists)
        await asyncio.to_thread(target.write_bytes, data)
        print(
            f"{target}: {lists.name} 适龄儿童 {len(lists.children)}, "
            f"疑似辍学 {len(lists.suspected)}, 辍学 {len(lists.dropouts)}"
        )
    return 0
