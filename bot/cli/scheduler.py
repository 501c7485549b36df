"""`cadrebot scheduler`: the reminder scheduler and sender without the bot's polling."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from bot.app import build_reminders
from bot.cli.invocation import Invocation
from bot.telegram import build_bot
from ui.i18n import Catalogs


async def execute(args: argparse.Namespace, cli: Invocation) -> int:
    return await run_scheduler(cli)


async def run_scheduler(cli: Invocation, stop: asyncio.Event | None = None) -> int:
    """Scheduler and sender, e.g. for CADREBOT_SCHEDULER=off bots.

    Runs until SIGINT/SIGTERM (or until `stop` is set, for tests)."""
    settings = cli.settings
    if settings.bot_token is None:
        print("cadrebot scheduler needs BOT_TOKEN to send reminders", file=sys.stderr)
        return 2
    bot = build_bot(settings)
    catalogs = Catalogs.load(settings.locale)
    service = build_reminders(settings, bot, cli.sessionmaker, catalogs, cli.clock)
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
    return 0
