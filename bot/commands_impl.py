"""What each CLI command does; each opens what it needs and closes it again."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import sys
from pathlib import Path

from aiogram.exceptions import TelegramAPIError

from bot.app import build_app, build_bot, run_polling
from bot.settings import Settings
from domain.clock import SystemClock, local_today
from domain.coverage import Coverage, CoverageReport
from domain.errors import DomainError
from domain.periods import Quarter
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.command == "run":
            return await _run(settings)
        await upgrade(settings.database_url)
        if args.command == "db":
            print("schema is up to date")
            return 0
        if args.command in ("scheduler", "reminders"):
            from bot import commands_reminders

            if args.command == "scheduler":
                return await commands_reminders.run_scheduler(settings)
            if args.action == "status":
                return await commands_reminders.status(settings)
            if not args.at:
                print('reminders preview: --at "YYYY-MM-DD HH:MM" is required', file=sys.stderr)
                return 2
            return await commands_reminders.preview_at(settings, args.at)
        if args.command == "invite":
            return await _invite(settings, args.cadre_code, args.bot_username)
        if args.command == "report" and args.kind == "far-visits":
            return await _far_visits(settings, args.period, args.format)
        if args.command == "report" and args.kind == "notice":
            from bot.commands_notice import write_notice

            return await write_notice(settings, args.month, args.output_dir)
        if args.command == "report" and args.kind in ("schooling", "dropouts"):
            from bot import commands_schooling as schooling

            if args.kind == "schooling":
                return await schooling.write_schooling(
                    settings, args.format, args.output, args.year
                )
            return await schooling.write_dropout_lists(
                settings, args.format, args.output_dir, args.year
            )
        if args.command == "report" and args.kind == "orphans":
            return await _orphans(settings, args.format)
        if args.command == "report":
            return await _report(settings, args.period, args.format)
        if args.command == "reassign":
            return await _reassign(settings, args.from_cadre, args.to_cadre, args.households)
        if args.command == "import":
            return await _import(settings, args)
        if args.command == "plan":
            return await _plan(settings, args)
        if args.command == "demo":
            return await _demo(settings, args.size, args.activity)
        if args.command == "qr":
            return await _qr(settings, args.village, args.output, args.bot_username)
    except DomainError as error:
        print(f"refused: {error.reason} {error.params}", file=sys.stderr)
        return 1
    raise AssertionError(args.command)


async def _run(settings: Settings) -> int:
    if settings.bot_token is None:
        from bot.sandbox import run_sandbox

        await run_sandbox(settings)
        return 0
    app = await build_app(settings)
    try:
        await run_polling(app)
    finally:
        await app.close()
    return 0


async def _invite(settings: Settings, cadre_code: str, bot_username: str | None) -> int:
    from services.registration import issue_invite

    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            issued = await issue_invite(session, cadre_code, SystemClock(), settings.invite_days)
    finally:
        await engine.dispose()
    username = bot_username or await _bot_username(settings)
    expires = issued.expires_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
    print(f"cadre:   {issued.cadre_code} {issued.cadre_name}")
    print(f"code:    {issued.code}  (one use, expires {expires} {settings.timezone})")
    if username:
        print(f"link:    https://t.me/{username}?start={issued.code}")
    else:
        print(f"link:    set BOT_TOKEN or --bot-username; or send: /start {issued.code}")
    return 0


async def _qr(
    settings: Settings, village: str | None, output: Path, bot_username: str | None
) -> int:
    from services.files.door_codes import door_codes, door_codes_pdf

    username = bot_username or await _bot_username(settings)
    if not username:
        print("set BOT_TOKEN or pass --bot-username: links need the bot's name", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            codes = await door_codes(session, username, village)
    finally:
        await engine.dispose()
    if not codes:
        print(f"no households{f' in village {village}' if village else ''}", file=sys.stderr)
        return 1
    pdf = await asyncio.to_thread(door_codes_pdf, codes)
    await asyncio.to_thread(output.write_bytes, pdf)
    print(f"{output}: {len(codes)} door codes")
    return 0


async def _bot_username(settings: Settings) -> str | None:
    if settings.bot_token is None:
        return None
    bot = build_bot(settings)
    try:
        me = await bot.get_me()
    except TelegramAPIError as error:
        print(f"could not ask the Bot API for the bot's name: {error}", file=sys.stderr)
        return None
    finally:
        await bot.session.close()
    return me.username


async def _report(settings: Settings, period: str | None, fmt: str) -> int:
    from services.reports.compliance import county_compliance

    if fmt in ("text", "xlsx"):
        print("report compliance: --format json or csv", file=sys.stderr)
        return 2
    quarter = Quarter.parse(period) if period else None
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            report = await county_compliance(
                session, quarter, SystemClock(), settings.tz, settings.ledger_season_opens_month_day
            )
    finally:
        await engine.dispose()
    sys.stdout.write(compliance_json(report) if fmt == "json" else compliance_csv(report))
    return 0


def compliance_json(report: CoverageReport) -> str:
    def rows(items: tuple[Coverage, ...], key: str) -> list[dict[str, object]]:
        return [
            {key: row.key, "name": row.name, "assigned": row.assigned, "covered": row.covered}
            for row in items
        ]

    payload: dict[str, object] = {
        "period": report.period,
        "total": {"assigned": report.total.assigned, "covered": report.total.covered},
        "by_unit": rows(report.by_unit, "unit_code"),
        "by_township": rows(report.by_township, "township_code"),
        "by_cadre": rows(report.by_cadre, "cadre_code"),
    }
    if report.villages is not None:
        villages = report.villages
        payload["village_visits"] = {
            "month": villages.month,
            "total": {"assigned": villages.total.assigned, "covered": villages.total.covered},
            "by_unit": rows(villages.by_unit, "unit_code"),
            "by_township": rows(villages.by_township, "township_code"),
        }
    if report.ledgers is not None:
        ledgers = report.ledgers
        payload["ledgers"] = {
            "year": ledgers.year,
            "total": {"assigned": ledgers.total.assigned, "covered": ledgers.total.covered},
            "by_unit": rows(ledgers.by_unit, "unit_code"),
            "by_township": rows(ledgers.by_township, "township_code"),
            "by_cadre": rows(ledgers.by_cadre, "cadre_code"),
        }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def compliance_csv(report: CoverageReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["period", "level", "code", "name", "assigned", "covered"])
    writer.writerow([report.period, "county", "", "", report.total.assigned, report.total.covered])
    for level, items in (
        ("unit", report.by_unit),
        ("township", report.by_township),
        ("cadre", report.by_cadre),
    ):
        for row in items:
            writer.writerow([report.period, level, row.key, row.name, row.assigned, row.covered])
    if report.villages is not None:
        month = report.villages.month
        total = report.villages.total
        writer.writerow([month, "village_county", "", "", total.assigned, total.covered])
        for level, items in (
            ("village_unit", report.villages.by_unit),
            ("village_township", report.villages.by_township),
        ):
            for row in items:
                writer.writerow([month, level, row.key, row.name, row.assigned, row.covered])
    if report.ledgers is not None:
        year = str(report.ledgers.year)
        total = report.ledgers.total
        writer.writerow([year, "ledger_county", "", "", total.assigned, total.covered])
        for level, items in (
            ("ledger_unit", report.ledgers.by_unit),
            ("ledger_township", report.ledgers.by_township),
            ("ledger_cadre", report.ledgers.by_cadre),
        ):
            for row in items:
                writer.writerow([year, level, row.key, row.name, row.assigned, row.covered])
    return buffer.getvalue()


async def _import(settings: Settings, args: argparse.Namespace) -> int:
    from services.roster_import import RosterImportError, import_roster

    engine = make_engine(settings.database_url)
    try:
        summary = await import_roster(
            make_sessionmaker(engine), args.path, clock=SystemClock(), show_progress=True
        )
    except RosterImportError as error:
        for problem in error.errors:
            print(problem, file=sys.stderr)
        print(f"{len(error.errors)} problem(s); nothing was imported", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(summary)
    return 0


async def _plan(settings: Settings, args: argparse.Namespace) -> int:
    from domain.plan import rebase
    from services.plan_loader import default_plan_path, load_plan, read_plan_file

    plan = read_plan_file(args.file or default_plan_path())
    if args.year:
        plan = rebase(plan, args.year)
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            summary = await load_plan(session, plan)
    finally:
        await engine.dispose()
    print(summary)
    return 0


async def _demo(settings: Settings, size: str, activity: bool) -> int:
    from services.demo.activity import add_demo_activity
    from services.demo.county import load_demo

    engine = make_engine(settings.database_url)
    try:
        sessionmaker = make_sessionmaker(engine)
        summary = await load_demo(sessionmaker, size, SystemClock())
        print(summary)
        if activity:
            added = await add_demo_activity(
                sessionmaker, SystemClock(), settings.tz, settings.ledger_season_opens_month_day
            )
            print(added)
    finally:
        await engine.dispose()
    return 0


async def _reassign(
    settings: Settings, from_code: str, to_code: str, households: list[str] | None
) -> int:
    """Turnover: close the old pairings now, open the new holder's; history stays."""
    from services.turnover import reassign

    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            moved = await reassign(session, from_code, to_code, households, SystemClock())
    finally:
        await engine.dispose()
    at = moved.at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
    print(
        f"moved {len(moved.households)} household(s) from {moved.from_code} {moved.from_name} "
        f"to {moved.to_code} {moved.to_name} at {at} {settings.timezone}"
    )
    for code in moved.households:
        print(f"  {code}")
    return 0


ORPHAN_FIELDS = (
    "household_code",
    "head_name",
    "village_code",
    "village_name",
    "township_code",
    "township_name",
    "holder_code",
    "holder_name",
    "reason",
)


async def _far_visits(settings: Settings, period: str | None, fmt: str) -> int:
    """Visits whose reported location was far from the place, for supervisors to look at."""
    from services.evidence import far_visits

    if fmt in ("text", "xlsx"):
        print("far-visits: use --format json or csv", file=sys.stderr)
        return 2
    quarter = Quarter.parse(period) if period else None
    quarter = quarter or Quarter.containing(local_today(SystemClock(), settings.tz))
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = await far_visits(session, quarter.first_day, quarter.last_day)
    finally:
        await engine.dispose()
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
    if fmt == "json":
        payload = {"period": str(quarter), "count": len(records), "visits": records}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return 0
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(records[0]) if records else ["kind"])
    writer.writeheader()
    writer.writerows(records)
    sys.stdout.write(buffer.getvalue())
    return 0


async def _orphans(settings: Settings, fmt: str) -> int:
    """Households with no active cadre, for whoever must find them a new one."""
    from dataclasses import asdict

    from services.turnover import orphans

    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            found = await orphans(session)
    finally:
        await engine.dispose()
    rows = [asdict(orphan) for orphan in found]
    if fmt == "json":
        payload = {"count": len(rows), "households": rows}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=ORPHAN_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.write(buffer.getvalue())
    else:
        print(f"{len(rows)} household(s) without an active cadre")
        for row in rows:
            holder = f"{row['holder_code']} {row['holder_name']}" if row["holder_code"] else "-"
            print(
                f"{row['household_code']}  {row['head_name']}  {row['township_name']} "
                f"{row['village_name']}  {row['reason']}  {holder}"
            )
    return 0
