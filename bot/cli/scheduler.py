"""`cadrebot scheduler`: the reminder scheduler and sender without the bot's polling; in a
deployment of counties, every county's (each its own lease, bot and outbox)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from bot.app import build_reminders
from bot.cli.invocation import Invocation
from bot.cli.run import new_metrics
from bot.monitoring import CountyWatch, Monitoring, serving
from bot.observing import instrument_bot
from bot.settings import Settings
from bot.telegram import build_bot
from domain.clock import Clock
from reminders.scheduler import ReminderService
from ui.i18n import Catalogs


async def execute(args: argparse.Namespace, cli: Invocation) -> int:
    return await run_scheduler(cli)


async def run_deployment(
    settings: Settings, clock: Clock, stop: asyncio.Event | None = None
) -> int:
    """Without --tenant: every county's reminders when the deployment serves counties, the
    deployment's own otherwise."""
    from bot.county_app import serves_counties
    from storage.tenancy import open_county_database

    if await serves_counties(settings):
        return await run_county_schedulers(settings, clock, stop)
    async with open_county_database(
        settings.database_url, None, engine_options=settings.engine_options()
    ) as (sessions, _):
        return await run_scheduler(Invocation(settings, clock, sessions), stop)


async def run_scheduler(cli: Invocation, stop: asyncio.Event | None = None) -> int:
    """Scheduler and sender, e.g. for CADREBOT_SCHEDULER=off bots.

    Runs until SIGINT/SIGTERM (or until `stop` is set, for tests)."""
    settings = cli.settings
    if settings.bot_token is None:
        print("cadrebot scheduler needs BOT_TOKEN to send reminders", file=sys.stderr)
        return 2
    metrics = new_metrics(settings)
    bot = build_bot(settings)
    instrument_bot(bot, metrics)
    catalogs = Catalogs.load(settings.locale)
    service = build_reminders(settings, bot, cli.sessionmaker, catalogs, cli.clock, metrics=metrics)
    engine = cli.sessionmaker.kw["bind"]  # a county's (--tenant) names its schema
    schema = engine.get_execution_options().get("schema_translate_map", {}).get(None)

    def monitoring() -> Monitoring:
        assert metrics is not None
        metrics.watch_pool(engine)
        watch = CountyWatch.of("", settings, cli.sessionmaker, service, schema)
        return Monitoring(metrics, engine, [watch], cli.clock)  # no Redis used here

    try:
        async with serving(settings, monitoring):
            await _serve([service], stop)
    finally:
        await bot.session.close()
    return 0


async def run_county_schedulers(
    settings: Settings, clock: Clock, stop: asyncio.Event | None = None
) -> int:
    """Each county's scheduler and sender in this one process."""
    from bot.counties import settings_for
    from storage.migrate import upgrade_if_behind
    from storage.tenancy import county_sessionmaker, list_counties, open_county_engine

    engine = await open_county_engine(settings.database_url, **settings.engine_options())
    metrics = new_metrics(settings)
    bots = []
    try:
        services = []
        watches = []
        for county in await list_counties(engine, settings.token_key_list):
            await upgrade_if_behind(engine, county.schema)
            own = settings_for(settings, county)
            bot = build_bot(own)
            instrument_bot(bot, metrics, county.slug)
            bots.append(bot)
            sessions = county_sessionmaker(engine, county)
            catalogs = Catalogs.load(own.locale)
            service = build_reminders(
                own, bot, sessions, catalogs, clock, metrics=metrics, county=county.slug
            )
            services.append(service)
            watches.append(CountyWatch.of(county.slug, own, sessions, service, county.schema))
        print(f"reminders of {len(services)} counties", file=sys.stderr)

        def monitoring() -> Monitoring:
            assert metrics is not None
            metrics.watch_pool(engine)
            return Monitoring(metrics, engine, watches, clock, deployment_schema="public")

        async with serving(settings, monitoring):
            await _serve(services, stop)
    finally:
        for bot in bots:
            await bot.session.close()
        await engine.dispose()
    return 0


async def _serve(services: list[ReminderService], stop: asyncio.Event | None) -> None:
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
    started: list[ReminderService] = []
    try:
        for service in services:
            await service.start()
            started.append(service)
        print("scheduler running; Ctrl+C to stop", file=sys.stderr)
        await stop.wait()
    finally:
        for service in started:
            await service.stop()
