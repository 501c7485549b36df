"""`cadrebot scheduler` and `cadrebot reminders preview|status`."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from datetime import datetime

from bot.app import build_bot, build_reminders
from bot.settings import Settings
from domain.clock import SystemClock
from reminders.outbox import preview
from reminders.rules import RuleContext
from storage.db import make_engine, make_sessionmaker
from storage.reminders import outbox_counts, rules
from ui.i18n import Catalogs


async def run_scheduler(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Scheduler and sender without the bot's polling, e.g. for CADREBOT_SCHEDULER=off bots.

    Runs until SIGINT/SIGTERM (or until `stop` is set, for tests)."""
    if settings.bot_token is None:
        print("cadrebot scheduler needs BOT_TOKEN to send reminders", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    bot = build_bot(settings)
    service = build_reminders(
        settings, bot, make_sessionmaker(engine), Catalogs.load(settings.locale), SystemClock()
    )
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
    try:
        await service.start()
        print("scheduler running; Ctrl+C to stop", file=sys.stderr)
        await stop.wait()
    finally:
        await service.stop()
        await bot.session.close()
        await engine.dispose()
    return 0


def _context(settings: Settings) -> RuleContext:
    catalogs = Catalogs.load(settings.locale)
    return RuleContext(settings.tz, catalogs, settings.ledger_season_opens_month_day)


async def preview_at(settings: Settings, at_text: str) -> int:
    """Print what would be sent at a local moment; nothing is written."""
    try:
        at = datetime.strptime(at_text, "%Y-%m-%d %H:%M").replace(tzinfo=settings.tz)
    except ValueError:
        print(f'--at {at_text!r}: write it as "YYYY-MM-DD HH:MM" (local time)', file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        found = await preview(make_sessionmaker(engine), at, _context(settings))
    finally:
        await engine.dispose()
    print(f"{len(found)} reminder(s) at {at:%Y-%m-%d %H:%M %Z}")
    for reminder in found:
        first_line = reminder.text.splitlines()[0]
        print(
            f"{reminder.rule}\t{reminder.period}\t{reminder.occurrence}\t"
            f"{reminder.recipient.name}\t{first_line}"
        )
    return 0


async def status(settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            counts = await outbox_counts(session)
            rule_rows = await rules(session)
    finally:
        await engine.dispose()
    print("outbox:")
    for state in ("pending", "sending", "sent", "dropped", "unreachable", "failed"):
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
