"""`cadrebot purge [--before YYYY-MM-DD] [--dry-run]`: remove what is past retention.

Evidence photo copies of visits dated before the day (default: today in the plan's time zone
minus CADREBOT_EVIDENCE_RETENTION_DAYS) and webhook update records older than
CADREBOT_UPDATE_LOG_RETENTION_DAYS; says what went (or, with --dry-run, what would go).
Exit 1 when a file could not be removed (the rest is done), so a timer's log shows it.
"""

from __future__ import annotations

import argparse
from datetime import date

from bot.cli.invocation import Invocation
from bot.cli.output import counted, usage_error
from bot.settings import Settings
from domain.clock import local_today
from services.retention import EvidencePurge, purge_evidence, purge_update_log


async def execute(args: argparse.Namespace, cli: Invocation) -> int:
    settings = cli.settings
    before: date | None
    if args.before is not None:
        try:
            before = date.fromisoformat(args.before)
        except ValueError:
            return usage_error(f"--before {args.before!r}: write it as YYYY-MM-DD")
        source = "--before"
    else:
        before = settings.retention.evidence_before(local_today(cli.clock, settings.tz))
        source = f"CADREBOT_EVIDENCE_RETENTION_DAYS={settings.evidence_retention_days}"
    verb = "would remove" if args.dry_run else "removed"
    left = 0
    if settings.evidence_dir is None:
        print("evidence: CADREBOT_EVIDENCE_DIR is not set: no photo copies are kept here")
    elif before is None:
        print(
            "evidence: kept for good (CADREBOT_EVIDENCE_RETENTION_DAYS=0); "
            "--before YYYY-MM-DD removes the copies of visits dated before that day"
        )
    else:
        async with cli.sessionmaker() as session:
            purged = await purge_evidence(
                session, settings.evidence_dir, before, dry_run=args.dry_run
            )
        print(_evidence_lines(purged, source, verb))
        left = len(purged.left)
    print(await _update_log_line(cli, settings, verb, args.dry_run))
    if args.dry_run:
        print("dry run: nothing was removed")
    return 1 if left else 0


def _evidence_lines(purged: EvidencePurge, source: str, verb: str) -> str:
    lines = [
        f"evidence in {purged.folder}: photo copies of visits dated before "
        f"{purged.before.isoformat()} ({source})",
        f"  {verb} {counted(purged.files, 'file')}, {_size(purged.bytes)}"
        + (
            f" ({purged.unlisted_files} of them named by no photo row)"
            if purged.unlisted_files
            else ""
        ),
        f"  {counted(purged.photos_forgotten, 'photo row')} "
        + ("would say" if verb.startswith("would") else "now say")
        + " that no copy is kept (Telegram's file id stays)",
    ]
    if purged.left:
        lines.append(f"  NOT removed: {counted(len(purged.left), 'file')}")
        lines += [f"    {item.path}: {item.reason}" for item in purged.left]
    return "\n".join(lines)


async def _update_log_line(cli: Invocation, settings: Settings, verb: str, dry_run: bool) -> str:
    cutoff = settings.retention.update_log_before(cli.clock.now())
    async with cli.sessionmaker() as session:
        rows = await purge_update_log(session, cutoff, dry_run=dry_run)
    return (
        f"update log: {verb} {counted(rows, 'processed update')} claimed before "
        f"{cutoff.astimezone(settings.tz):%Y-%m-%d %H:%M %Z} "
        f"(CADREBOT_UPDATE_LOG_RETENTION_DAYS={settings.update_log_retention_days})"
    )


def _size(size: int) -> str:
    """Bytes exactly, and (from 0.1 MB) in MB for a person to read."""
    return f"{size:,} bytes" + (f" ({size / 1_000_000:.1f} MB)" if size >= 100_000 else "")
