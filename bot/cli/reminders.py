"""`cadrebot reminders preview|status`: what would be sent, and the outbox; no Telegram."""

from __future__ import annotations

import argparse
import codecs
import io
import shutil
import sys
import tempfile
from datetime import datetime
from typing import IO

from bot.cli.invocation import Invocation
from bot.cli.output import counted, usage_error
from bot.cli.plan_note import warn_without_plan
from reminders.outbox import preview
from reminders.rules import RuleContext
from storage.db import connections_at_once
from storage.readiness import roster_counts
from storage.reminders import outbox_counts, rules
from ui.i18n import Catalogs

# Preview lines held in memory up to this much, then in a temporary file.
SPOOL_BYTES = 8 * 1024 * 1024
# Lines written to it at a time (one write a line was a tenth of a province's preview).
WRITE_LINES = 1000
# Rules computed together (each its own connection): the database reads the next rule while
# the previous one's lines are written.
RULES_AT_ONCE = 3
OUTBOX_STATES = ("pending", "sending", "sent", "dropped", "unreachable", "failed")


async def execute(args: argparse.Namespace, cli: Invocation) -> int:
    if args.action == "status":
        return await status(cli)
    if not args.at:  # now, in the plan's time zone
        now = cli.clock.now().astimezone(cli.settings.tz)
        print(f"no --at: previewing now, {now:%Y-%m-%d %H:%M %Z}", file=sys.stderr)
        return await preview_at(cli, f"{now:%Y-%m-%d %H:%M}")
    return await preview_at(cli, args.at)


async def preview_at(cli: Invocation, at_text: str) -> int:
    """Print what would be sent at a local moment; nothing is written."""
    settings = cli.settings
    try:
        at = datetime.strptime(at_text, "%Y-%m-%d %H:%M").replace(tzinfo=settings.tz)
    except ValueError:
        return usage_error(f'--at {at_text!r}: write it as "YYYY-MM-DD HH:MM" (local time)')
    catalogs = Catalogs.load(settings.locale)
    context = RuleContext(settings.tz, catalogs, settings.ledger_season_opens_month_day)
    await warn_without_plan(cli, at.year)
    # The count comes first: the lines wait in a spooled file until it is known (a province's
    # preview can be a million lines: held in memory they were most of the command's peak).
    count = 0
    at_once = min(RULES_AT_ONCE, connections_at_once(cli.sessionmaker))
    # Held as UTF-8 bytes and copied out as they are (a text file decoded them again).
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as held:
        lines: list[str] = []
        text, first_line = "", ""  # reminders in a row often share a text (one view, many)
        async for reminders in preview(cli.sessionmaker, at, context, at_once):
            for reminder in reminders:
                if reminder.text is not text:
                    text, first_line = reminder.text, reminder.text.splitlines()[0]
                lines.append(
                    f"{reminder.rule}\t{reminder.period}\t{reminder.occurrence}\t"
                    f"{reminder.recipient.name}\t{first_line}\n"
                )
            if len(lines) >= WRITE_LINES:
                held.write("".join(lines).encode())
                count += len(lines)
                lines.clear()
        held.write("".join(lines).encode())
        count += len(lines)
        print(f"{counted(count, 'reminder')} at {at:%Y-%m-%d %H:%M %Z}")
        held.seek(0)
        copy_out(held)
    if not count:
        async with cli.sessionmaker() as session:
            if (await roster_counts(session)).registered_cadres == 0:
                print("nobody is registered yet: reminders go to registered cadres only")
    return 0


def copy_out(held: IO[bytes]) -> None:
    """UTF-8 bytes to standard output: as they are when it writes UTF-8, decoded otherwise."""
    sys.stdout.flush()
    raw = getattr(sys.stdout, "buffer", None)
    if raw is not None and codecs.lookup(sys.stdout.encoding or "ascii").name == "utf-8":
        shutil.copyfileobj(held, raw)
        raw.flush()
    else:
        shutil.copyfileobj(io.TextIOWrapper(held, encoding="utf-8"), sys.stdout)


async def status(cli: Invocation) -> int:
    """Outbox rows per state, and each rule's hour, switch and how far it was evaluated."""
    async with cli.sessionmaker() as session:
        counts = await outbox_counts(session)
        rule_rows = await rules(session)
    print("outbox:")
    for state in OUTBOX_STATES:
        print(f"  {state:<12}{counts.get(state, 0)}")
    print("rules:")
    for row in rule_rows:
        evaluated = row.evaluated_through.isoformat() if row.evaluated_through else "never"
        state = "on" if row.enabled else "off"
        print(
            f"  {row.name:<18}{row.hour:02d}:{row.minute:02d}  {state:<4}"
            f"evaluated through {evaluated}"
        )
    return 0
