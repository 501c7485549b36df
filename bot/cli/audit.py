"""`cadrebot report audit`: who exported what (services.audit), times in the plan's zone.

Listing the audit is itself recorded (what `audit`): the rows name cadres, their Telegram
accounts and the machine's users, so reading them is accounted for like any export. The row
is written after the listing is read, so a listing never shows itself; the next one does.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.cli.exported import record
from bot.cli.invocation import Invocation
from bot.cli.output import counted, csv_text, json_text, usage_error
from domain.audit import AUDIT, default_since, parse_since
from domain.clock import local_today
from services.audit import exports_from
from storage.audit import AuditRow

FIELDS = (
    "id",
    "exported_at",
    "channel",
    "actor",
    "actor_telegram_id",
    "what",
    "scope",
    "period",
    "format",
    "rows",
    "file_name",
)


async def execute(args: argparse.Namespace, cli: Invocation) -> int:
    """The exports since --since (a local date; default 30 days ago), oldest first."""
    if args.format not in ("text", "json", "csv"):
        return usage_error("report audit: use --format text, json or csv")
    tz = cli.settings.tz
    today = local_today(cli.clock, tz)
    since = parse_since(args.since, today) if args.since else default_since(today)
    async with cli.sessionmaker() as session:
        rows = await exports_from(session, since, tz)
    await record(cli, AUDIT, args.format, len(rows), period=f"{since}/{today}")
    records = [_record(row, tz) for row in rows]
    if args.format == "json":
        payload = {"since": since.isoformat(), "timezone": cli.settings.timezone}
        sys.stdout.write(json_text({**payload, "count": len(records), "exports": records}))
    elif args.format == "csv":
        sys.stdout.write(csv_text(FIELDS, records))
    else:
        sys.stdout.write(audit_text(rows, tz, since, cli.settings.timezone))
    return 0


def _local(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).isoformat(timespec="seconds")


def _record(row: AuditRow, tz: ZoneInfo) -> dict[str, object]:
    """A row as JSON and CSV write it: the time in the plan's zone, with its offset."""
    return {name: getattr(row, name) for name in FIELDS} | {
        "exported_at": _local(row.exported_at, tz)
    }


def audit_text(rows: list[AuditRow], tz: ZoneInfo, since: date, zone: str) -> str:
    """A line per export, for a person reading a terminal."""
    lines = [f"{counted(len(rows), 'export')} since {since} ({zone})"]
    for row in rows:
        account = f" (telegram {row.actor_telegram_id})" if row.actor_telegram_id else ""
        period = f" {row.period}" if row.period else ""
        lines.append(
            f"{row.exported_at.astimezone(tz):%Y-%m-%d %H:%M:%S}  {row.channel:<4}  "
            f"{row.actor}{account}  {row.what} {row.scope}{period}  "
            f"{row.format}  {counted(row.rows, 'row')}"
        )
        if row.file_name:
            lines.append(f"    {row.file_name}")
    return "\n".join(lines) + "\n"
