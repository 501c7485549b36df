"""`cadrebot` command line: run, db upgrade, import, plan load, demo, invite, report."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from bot.settings import Settings, load_settings

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cadrebot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("run", help="run the bot (no BOT_TOKEN: the local sandbox with demo data)")

    db = commands.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade"])

    importer = commands.add_parser("import", help="import the roster from .xlsx or a CSV folder")
    importer.add_argument("path", type=Path)

    plan = commands.add_parser("plan", help="load a plan (campaigns, tasks, milestones)")
    plan.add_argument("action", choices=["load"])
    plan.add_argument("file", type=Path, nargs="?", help="plan TOML (default: the 2017 plan)")
    plan.add_argument("--year", type=int, help="re-base the plan's dates onto this year")

    demo = commands.add_parser("demo", help="load a believable demo county")
    demo.add_argument("--size", choices=["small", "medium", "full"], default="small")
    demo.add_argument(
        "--activity", action="store_true", help="also log a believable quarter of visits"
    )

    invite = commands.add_parser("invite", help="issue a one-time invite for a cadre")
    invite.add_argument("cadre_code")
    invite.add_argument("--bot-username", help="used in the link (default: asked from the Bot API)")

    report = commands.add_parser("report", help="machine-readable reports")
    report.add_argument(
        "kind",
        choices=["compliance", "orphans", "far-visits", "notice", "schooling", "dropouts"],
    )
    report.add_argument("--period", help="YYYY-Qn (default: the current quarter)")
    report.add_argument("--month", help="notice: YYYY-MM (default: this month so far)")
    report.add_argument(
        "--output-dir", type=Path, default=Path("."), help="where files are written (notice)"
    )
    report.add_argument(
        "--format",
        choices=["json", "csv", "text", "xlsx"],
        default="json",
        help="text: orphans only; far-visits: json or csv; xlsx: schooling and dropouts",
    )
    report.add_argument("--output", type=Path, help="schooling: write to this file")
    report.add_argument(
        "--year", type=int, help="schooling, dropouts: school year YYYY (starts Sept 1)"
    )

    reassign = commands.add_parser(
        "reassign", help="move a cadre's paired households to another cadre (turnover)"
    )
    reassign.add_argument("--from", dest="from_cadre", required=True, metavar="CADRE")
    reassign.add_argument("--to", dest="to_cadre", required=True, metavar="CADRE")
    reassign.add_argument(
        "--households", nargs="+", metavar="CODE", help="only these (default: all of --from's)"
    )

    commands.add_parser(
        "scheduler", help="run the reminder scheduler and sender without the bot's polling"
    )
    reminders = commands.add_parser("reminders", help="reminder outbox: preview and status")
    reminders.add_argument("action", choices=["preview", "status"])
    reminders.add_argument("--at", help='preview: local time "YYYY-MM-DD HH:MM"')

    qr = commands.add_parser("qr", help="printable PDF of door QR codes (deep links to visits)")
    qr.add_argument("--village", help="only this village's households")
    qr.add_argument("--output", type=Path, default=Path("door-codes.pdf"))
    qr.add_argument("--bot-username", help="used in the links (default: asked from the Bot API)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # APScheduler logs every job run at INFO (the lease renewal every 20 s): too chatty.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ValidationError as error:
        print(_settings_problem(error), file=sys.stderr)
        return 2
    from bot import commands_impl

    try:
        return asyncio.run(commands_impl.dispatch(args, settings))
    except KeyboardInterrupt:
        return 130


def _settings_problem(error: ValidationError) -> str:
    lines = ["Configuration error:"]
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"])
        lines.append(f"  {name}: {problem['msg']}")
    return "\n".join(lines)


__all__ = ["Settings", "main"]
