"""`cadrebot` command line: run, db upgrade and copy, import, reassign, plan load, demo, invite, qr,
report, reminders, scheduler, doctor, purge, tenant, sandbox reset.

Each command lives in its own module, imported only when it runs: a report never loads
aiogram, matplotlib or reportlab, and a schema already at head costs one query.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from collections.abc import Awaitable, Callable, Sequence
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot.logs import configure_logging
from bot.settings import Settings, load_settings
from domain.clock import Clock, SystemClock
from domain.errors import DomainError

if TYPE_CHECKING:
    from bot.cli.invocation import Invocation

    Execute = Callable[[argparse.Namespace, Invocation], Awaitable[int]]
    RunBot = Callable[[Settings, Clock], Awaitable[int]]
    RunRegion = Callable[[argparse.Namespace, Settings, Clock], Awaitable[int]]

# Command (or report kind) -> module under bot.cli that carries it out.
MODULES = {
    "run": "run",
    "db": "db",
    "import": "roster",
    "reassign": "roster",
    "plan": "plan",
    "demo": "demo",
    "invite": "invite",
    "qr": "qr",
    "scheduler": "scheduler",
    "reminders": "reminders",
    "doctor": "doctor",
    "sandbox": "sandbox",
    "tenant": "tenant",
    "purge": "purge",
}
# `db upgrade` uses DATABASE_URL; `db copy` the two URLs on its command line.
DB_MODULES = {"upgrade": "db", "copy": "db_copy"}
REPORT_MODULES = {
    "compliance": "reports",
    "far-visits": "reports",
    "orphans": "roster",
    "notice": "notice",
    "schooling": "schooling",
    "dropouts": "dropouts",
    "audit": "audit",
}
# Services that keep running: their own INFO lines (polling as @..., lease taken) are wanted.
LONG_RUNNING = ("run", "scheduler")
BOT_NAME_DEFAULT = "asked from the Bot API; without BOT_TOKEN, the sandbox bot's"


def build_parser() -> argparse.ArgumentParser:
    """Every command with a one-line help; --verbose is accepted before or after it."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log schema migrations and each SQL statement with its duration",
    )
    common.add_argument(
        "--tenant",
        metavar="COUNTY",
        default=argparse.SUPPRESS,
        help="the county this command works on, in a deployment of counties (`tenant list`)",
    )
    parser = argparse.ArgumentParser(
        prog="cadrebot",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help_text, description=help_text, parents=[common])

    command("run", "run the bot (no BOT_TOKEN: the local sandbox with demo data)")

    db = command("db", "database schema: create or upgrade it; copy a deployment to another")
    db_actions = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    db_actions.add_parser(
        "upgrade", help="create or upgrade the schema to the latest version", parents=[common]
    )
    copy = db_actions.add_parser(
        "copy",
        help="copy every table into a new, empty database (e.g. SQLite to PostgreSQL)",
        parents=[common],
    )
    copy.add_argument(
        "--from", dest="source", required=True, metavar="URL", help="e.g. sqlite:///data/x.sqlite3"
    )
    copy.add_argument(
        "--to", dest="target", required=True, metavar="URL", help="e.g. postgresql://u@host/db"
    )

    importer = command("import", "import the roster from .xlsx or a CSV folder")
    importer.add_argument("path", type=Path)

    reassign = command("reassign", "move a cadre's paired households to another cadre (turnover)")
    reassign.add_argument("--from", dest="from_cadre", required=True, metavar="CADRE")
    reassign.add_argument("--to", dest="to_cadre", required=True, metavar="CADRE")
    reassign.add_argument(
        "--households", nargs="+", metavar="CODE", help="only these (default: all of --from's)"
    )

    plan = command("plan", "load a plan (campaigns, tasks, milestones)")
    plan.add_argument("action", choices=["load"])
    plan.add_argument(
        "file",
        type=Path,
        nargs="?",
        help="plan TOML (default: the shipped 2017 plan, re-based onto this year)",
    )
    plan.add_argument("--year", type=int, help="re-base the plan's dates onto this year")

    demo = command("demo", "load a believable demo county")
    demo.add_argument("--size", choices=["small", "medium", "full"], default="small")
    demo.add_argument(
        "--activity", action="store_true", help="also log a believable quarter of visits"
    )

    invite = command("invite", "issue a one-time invite for a cadre")
    invite.add_argument("cadre_code")
    invite.add_argument("--bot-username", help=f"used in the link (default: {BOT_NAME_DEFAULT})")

    qr = command("qr", "printable PDF of door QR codes (deep links to visits)")
    qr.add_argument("--village", help="only this village's households")
    qr.add_argument(
        "--output",
        type=Path,
        help="the PDF to write (default: CADREBOT_REPORTS_DIR/door-codes.pdf)",
    )
    qr.add_argument("--bot-username", help=f"used in the links (default: {BOT_NAME_DEFAULT})")

    report = command("report", "machine-readable reports and the monthly notice's files")
    report.add_argument("kind", choices=list(REPORT_MODULES))
    report.add_argument("--period", help="YYYY-Qn (default: the current quarter)")
    report.add_argument(
        "--region",
        help="compliance: every county of a region, e.g. 云南省/昭通市, and their sums",
    )
    report.add_argument("--month", help="notice: YYYY-MM (default: this month so far)")
    report.add_argument(
        "--output-dir",
        type=Path,
        help="notice, dropouts: where files are written (default: CADREBOT_REPORTS_DIR)",
    )
    report.add_argument(
        "--format",
        choices=["json", "csv", "text", "xlsx"],
        default="json",
        help="text: orphans and audit; far-visits: json or csv; xlsx: schooling and dropouts",
    )
    report.add_argument(
        "--output",
        type=Path,
        help="schooling: write here (xlsx default: CADREBOT_REPORTS_DIR/schooling-YYYY.xlsx)",
    )
    report.add_argument(
        "--year", type=int, help="schooling, dropouts: school year YYYY (starts Sept 1)"
    )
    report.add_argument(
        "--since",
        metavar="YYYY-MM-DD",
        help="audit: exports from this local day (default: 30 days ago)",
    )

    reminders = command("reminders", "reminder outbox: preview what would be sent, or status")
    reminders.add_argument("action", choices=["preview", "status"])
    reminders.add_argument(
        "--at", help='preview: local time "YYYY-MM-DD HH:MM" (default: now, in the plan\'s zone)'
    )

    command("scheduler", "run the reminder scheduler and sender without the bot's polling")

    command("doctor", "what this deployment still lacks, each with the command that fixes it")

    purge = command(
        "purge", "remove evidence photo copies and webhook update records past retention"
    )
    purge.add_argument(
        "--before",
        metavar="YYYY-MM-DD",
        help="photo copies of visits dated before this day (default: today in the plan's "
        "time zone minus CADREBOT_EVIDENCE_RETENTION_DAYS)",
    )
    purge.add_argument(
        "--dry-run", action="store_true", help="say what would be removed; remove nothing"
    )

    tenant = command(
        "tenant", "counties of one deployment (PostgreSQL): add, list, supervisors, bot tokens"
    )
    tenant_actions = tenant.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = tenant_actions.add_parser(
        "add", help="add a county: its own bot, schema, roster, plan and settings"
    )
    add.add_argument("slug", help="short name: a-z, 0-9 and _, e.g. zhenxiong")
    add.add_argument("--name", required=True, help="the county's name, e.g. 镇雄县")
    add.add_argument("--region", required=True, help="province/prefecture, e.g. 云南省/昭通市")
    add.add_argument(
        "--token-file",
        type=Path,
        required=True,
        help="a file holding the county bot's token (kept out of the shell's history)",
    )
    add.add_argument("--timezone", help="the county's own time zone (default: the deployment's)")
    add.add_argument("--locale", choices=["zh", "en"], help="the county's default language")
    add.add_argument(
        "--adopt",
        action="store_true",
        help="move the rows this deployment held before it had counties into this county",
    )
    plain_token = (
        "without CADREBOT_TOKEN_KEYS, store the token in plain text rather than refuse "
        "(with keys it is always encrypted)"
    )
    add.add_argument("--plain-token", action="store_true", help=plain_token)
    tenant_actions.add_parser("list", help="the counties and region supervisors")
    set_token = tenant_actions.add_parser(
        "set-token",
        help="replace a county's bot token (revoked, rotated); restart `cadrebot run` after",
    )
    set_token.add_argument("slug", help="the county, as `tenant list` shows it")
    set_token.add_argument(
        "--token-file",
        type=Path,
        required=True,
        help="a file holding the county bot's new token (kept out of the shell's history)",
    )
    set_token.add_argument("--plain-token", action="store_true", help=plain_token)
    tenant_actions.add_parser(
        "encrypt-tokens",
        help="encrypt every county's token with the first key of CADREBOT_TOKEN_KEYS "
        "(plain ones, and after a new key is put first), in one transaction",
    )
    tenant_actions.add_parser(
        "new-key", help="print a new random key for CADREBOT_TOKEN_KEYS (touches nothing)"
    )
    supervisor = tenant_actions.add_parser(
        "supervisor", help="a supervisor who reads every county of a region (or moves one)"
    )
    supervisor.add_argument("--telegram-id", type=int, required=True)
    supervisor.add_argument("--name", required=True)
    supervisor.add_argument("--region", required=True, help="e.g. 云南省 or 云南省/昭通市")

    sandbox = command("sandbox", "the local sandbox's own files (never DATABASE_URL's database)")
    sandbox.add_argument(
        "action", choices=["reset"], help="reset: delete them; the next run starts fresh"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; `argv` None is the `cadrebot` script, one command per process."""
    one_shot = argv is None
    if one_shot:  # what the imports build lives until exit: nothing for the collector
        gc.disable()
    try:
        args = build_parser().parse_args(argv)
        verbose = bool(getattr(args, "verbose", False))
        try:
            settings = load_settings()
        except ValidationError as error:
            print(_settings_problem(error), file=sys.stderr)
            return 2
        configure_logging(
            verbose, long_running=args.command in LONG_RUNNING, log_format=settings.log_format
        )
        module = import_module(f"{__name__}.{command_module(args)}")
        if one_shot:  # leave the modules out of every later collection, then collect as usual
            gc.freeze()
            gc.enable()
        return asyncio.run(_execute(module, args, settings, verbose))
    except KeyboardInterrupt:
        return 130
    finally:
        if one_shot:  # and out of the collections at exit: a third of a report's CPU time
            gc.freeze()


def command_module(args: argparse.Namespace) -> str:
    """The module under bot.cli that carries out this command."""
    if args.command == "report":
        if getattr(args, "region", None) is not None:  # every county of a region
            return "regional"
        return REPORT_MODULES[args.kind]
    if args.command == "db":
        return DB_MODULES[args.action]
    return MODULES[args.command]


async def _execute(
    module: ModuleType, args: argparse.Namespace, settings: Settings, verbose: bool
) -> int:
    """One clock and one open database for the whole command; refusals exit with 1."""
    clock = SystemClock()
    try:
        if args.command == "run":  # the bot opens (and keeps) its own database
            run_bot: RunBot = module.run_bot
            return await run_bot(settings, clock)
        if args.command == "db" and args.action == "copy":  # two URLs of its own
            copy: Callable[[argparse.Namespace, bool], Awaitable[int]] = module.execute
            return await copy(args, verbose)
        if args.command == "db":  # it upgrades itself, to say what it found
            upgrade_schema: Callable[[Settings, bool], Awaitable[int]] = module.upgrade_schema
            return await upgrade_schema(settings, verbose)
        if args.command == "doctor":  # it reports the schema as it finds it: no upgrade
            examine: Callable[[Settings, Clock, str | None], Awaitable[int]] = module.run_doctor
            return await examine(settings, clock, getattr(args, "tenant", None))
        if args.command == "scheduler" and getattr(args, "tenant", None) is None:
            # Every county's reminders in a deployment of counties: it opens each county.
            run_reminders: RunBot = module.run_deployment
            return await run_reminders(settings, clock)
        if args.command in ("sandbox", "tenant"):  # their own files, or the registry
            tidy: Callable[[argparse.Namespace, Settings], Awaitable[int]] = module.execute
            return await tidy(args, settings)
        if command_module(args) == "regional":  # many counties: the deployment's registry
            regional: RunRegion = module.execute
            return await regional(args, settings, clock)
        from bot.cli.invocation import Invocation
        from bot.counties import settings_for
        from storage.tenancy import open_county_database

        execute: Execute = module.execute
        slug = getattr(args, "tenant", None)
        async with open_county_database(
            settings.database_url, slug, time_statements=verbose, keys=settings.token_key_list
        ) as (sessions, county):
            return await execute(args, Invocation(settings_for(settings, county), clock, sessions))
    except DomainError as error:
        print(f"refused: {refusal_words(error)}", file=sys.stderr)
        return 1


def refusal_words(error: DomainError) -> str:
    """The refusal as the bot words it, in English; the catalogues load only when refused."""
    from html import unescape

    from ui.i18n import Catalogs
    from ui.refusals import refusal_text

    return unescape(refusal_text(error, Catalogs.load("en").translator("en")))


def _settings_problem(error: ValidationError) -> str:
    lines = ["Configuration error:"]
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"])
        field = Settings.model_fields.get(name)  # a default is reported by field name
        name = field.alias if field is not None and field.alias else name
        lines.append(f"  {name}: {problem['msg']}")
    return "\n".join(lines)


__all__ = ["Settings", "build_parser", "main"]
