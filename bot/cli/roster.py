"""The roster from the command line: `import`, `reassign` (turnover), `report orphans`."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, fields

from bot.cli.exported import record
from bot.cli.invocation import Invocation
from bot.cli.output import counted, csv_text, json_text
from bot.cli.plan_note import warn_without_plan
from domain.audit import ORPHANS
from domain.clock import local_today
from services.roster_import import RosterImportError, import_roster
from services.turnover import Orphan, orphans, reassign

ORPHAN_FIELDS = tuple(field.name for field in fields(Orphan))


async def execute(args: argparse.Namespace, cli: Invocation) -> int:
    if args.command == "import":
        return await import_(cli, args)
    if args.command == "reassign":
        return await reassign_(cli, args.from_cadre, args.to_cadre, args.households)
    return await report_orphans(cli, args.format)


async def import_(cli: Invocation, args: argparse.Namespace) -> int:
    """All or nothing: every problem is listed with its file, row and column; exit 2.

    A refused roster exits 2 whatever the problem (an unreadable file, a bad encoding, a
    bad row): the input as given cannot be used, as with a bad option or configuration.
    """
    try:
        summary = await import_roster(
            cli.sessionmaker, args.path, clock=cli.clock, show_progress=True
        )
    except RosterImportError as error:
        for problem in error.errors:
            print(problem, file=sys.stderr)
        print(f"{counted(len(error.errors), 'problem')}; nothing was imported", file=sys.stderr)
        return 2
    print(summary)
    await warn_without_plan(cli, local_today(cli.clock, cli.settings.tz).year)
    return 0


async def reassign_(
    cli: Invocation, from_code: str, to_code: str, households: list[str] | None
) -> int:
    """Turnover: close the old pairings now, open the new holder's; history stays."""
    async with cli.sessionmaker() as session:
        moved = await reassign(session, from_code, to_code, households, cli.clock)
    settings = cli.settings
    at = moved.at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
    print(
        f"moved {counted(len(moved.households), 'household')} "
        f"from {moved.from_code} {moved.from_name} "
        f"to {moved.to_code} {moved.to_name} at {at} {settings.timezone}"
    )
    for code in moved.households:
        print(f"  {code}")
    return 0


async def report_orphans(cli: Invocation, fmt: str) -> int:
    """Households with no active cadre, for whoever must find them a new one."""
    async with cli.sessionmaker() as session:
        found = await orphans(session)
    rows = [asdict(orphan) for orphan in found]
    await record(cli, ORPHANS, fmt, len(rows))
    if fmt == "json":
        sys.stdout.write(json_text({"count": len(rows), "households": rows}))
    elif fmt == "csv":
        sys.stdout.write(csv_text(ORPHAN_FIELDS, rows))
    else:
        print(f"{counted(len(rows), 'household')} without an active cadre")
        for row in rows:
            holder = f"{row['holder_code']} {row['holder_name']}" if row["holder_code"] else "-"
            print(
                f"{row['household_code']}  {row['head_name']}  {row['township_name']} "
                f"{row['village_name']}  {row['reason']}  {holder}"
            )
    return 0
