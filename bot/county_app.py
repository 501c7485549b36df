"""A deployment of counties: every county's bot served by one process.

Each county (storage.tenancy) has its own bot, schema and settings. What its updates need
is built once at start, a `CountyBot`: the county's settings (bot.counties), its session
factory on the one shared engine (its pool shared too), its Bot, account cache, catalogues
and reminders. ONE Dispatcher serves every bot: its first middleware (`CountyMiddleware`)
finds the update's county by the id of the bot it came to and puts that county's session
factory, settings, rules, account cache and catalogues in the update's data, where
DbSessionMiddleware, ActorMiddleware and the handlers take them. An update of a bot that
serves no county here is dropped: it never reaches a session at all.

Polling: one BatchPoller per bot, all at once (bot.county_app.run_counties_polling);
webhook: one path per county (bot.county_webhook).

A county whose token Telegram refuses (401: revoked; 404: the bot deleted), at its first
calls or (polling) later, is left out, logged at ERROR: no poller, path or reminders of its
own; the other counties are served on. Only when no county is left does the run end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import TelegramAPIError, TelegramNotFound, TelegramUnauthorizedError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import build_fsm_storage, build_reminders, wire_dispatcher
from bot.commands import publish_commands
from bot.counties import settings_for
from bot.metrics import Metrics
from bot.middlewares import ActorMiddleware, DbSessionMiddleware, Handler
from bot.observing import UpdateMonitor, instrument_bot
from bot.polling import BatchPoller
from bot.settings import Settings
from bot.telegram import build_bot
from domain.clock import Clock, SystemClock
from reminders.scheduler import ReminderService, start_all, stop_all
from services.actors import AccountCache
from storage.db import make_engine
from storage.migrate import upgrade_if_behind
from storage.tenancy import (
    County,
    count_counties,
    county_sessionmaker,
    find_region_supervisor,
    list_counties,
    open_county_engine,
)
from ui.i18n import Catalogs

logger = logging.getLogger(__name__)

# Chats of one bot handled at once; each bot has its own poller (the pool is shared).
PARALLEL_CHATS = 8
# What Telegram answers a token it refuses: revoked (401), or the bot deleted (404).
TOKEN_REFUSED = (TelegramUnauthorizedError, TelegramNotFound)


class NoCountyServed(RuntimeError):
    """Telegram refused every county's bot token: nothing is left to serve."""


@dataclass
class CountyBot:
    """One county as the running deployment serves it."""

    county: County
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    catalogs: Catalogs
    bot: Bot
    accounts: AccountCache = field(default_factory=AccountCache)
    reminders: ReminderService | None = None
    # What the county puts in each of its updates' data (see CountyMiddleware).
    update_data: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.update_data = {
            "county": self.county,
            "settings": self.settings,
            "sessionmaker": self.sessionmaker,
            "catalogs": self.catalogs,
            "accounts": self.accounts,
            "plan_rules": self.settings.plan_rules(),
            "quiet_hours": self.settings.quiet,
        }

    @property
    def slug(self) -> str:
        return self.county.slug


class CountyMiddleware(BaseMiddleware):
    """The first middleware: whose update this is, by the bot it came to."""

    def __init__(self, counties: Iterable[CountyBot]) -> None:
        self._by_bot: dict[int, CountyBot] = {}
        for county in counties:
            if county.bot.id in self._by_bot:
                raise ValueError(f"counties {county.slug} and another share bot {county.bot.id}")
            self._by_bot[county.bot.id] = county

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        bot: Bot | None = data.get("bot")
        county = self._by_bot.get(bot.id) if bot is not None else None
        if county is None:
            logger.warning(
                "an update to bot %s, which serves no county here: dropped",
                bot.id if bot is not None else None,
            )
            return UNHANDLED
        data.update(county.update_data)
        return await handler(event, data)


class RegionSupervisorMiddleware(BaseMiddleware):
    """A sender on no roster of this county may be a supervisor of a region that holds it
    (storage.tenancy): then handlers.regional answers them. One registry read, only for
    senders without an account here."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        county: County | None = data.get("county")
        if data.get("actor") is None and user is not None and county is not None:
            supervisor = await find_region_supervisor(self._engine, user.id)
            if supervisor is not None and supervisor.reads(county):
                data["region_supervisor"] = supervisor
                data["deployment_engine"] = self._engine
        return await handler(event, data)


@dataclass
class CountiesApp:
    """Every county's bot, one Dispatcher and one engine; closed together."""

    settings: Settings  # the deployment's (each county has its own in `counties`)
    engine: AsyncEngine
    catalogs: Catalogs
    dispatcher: Dispatcher
    counties: list[CountyBot]
    pollers: dict[str, BatchPoller] = field(default_factory=dict)
    # With CADREBOT_METRICS_PORT: what the monitoring server shows, `county` labelled.
    metrics: Metrics | None = None
    # Counties left out because Telegram refused their token: slug -> what Telegram said.
    refused: dict[str, str] = field(default_factory=dict)

    def county(self, slug: str) -> CountyBot:
        return next(county for county in self.counties if county.slug == slug)

    @property
    def serving(self) -> list[CountyBot]:
        """The counties still served (not refused)."""
        return [county for county in self.counties if county.slug not in self.refused]

    def leave_out(self, county: CountyBot, error: TelegramAPIError) -> None:
        """Serve the county no more (its poller stopped); the operator is told by an ERROR
        line (Telegram's words, never the token) and by /readyz."""
        self.refused[county.slug] = error.message
        logger.error(
            "county %s: Telegram refused its bot token (%s); the county is left out, "
            "the other counties are served",
            county.slug,
            error.message,
        )
        poller = self.pollers.get(county.slug)
        if poller is not None:
            poller.stop()

    def tokens_check(self) -> dict[str, Any]:
        """/readyz's `tokens`: ready while any county is served, the refused ones named."""
        serving = len(self.serving)
        return {"ok": serving > 0, "serving": serving, "refused": dict(self.refused)}

    def stop_polling(self) -> None:
        for poller in self.pollers.values():
            poller.stop()

    async def close(self) -> None:
        await self.dispatcher.storage.close()
        for county in self.counties:
            await county.bot.session.close()
        await self.engine.dispose()


async def serves_counties(settings: Settings) -> bool:
    """True when this deployment runs counties: PostgreSQL with counties in its registry."""
    if not settings.database_url.startswith("postgresql"):
        return False
    engine = make_engine(settings.database_url)
    try:
        return await count_counties(engine) > 0
    finally:
        await engine.dispose()


def build_counties_dispatcher(
    settings: Settings,
    engine: AsyncEngine,
    counties: list[CountyBot],
    catalogs: Catalogs,
    clock: Clock,
    storage: BaseStorage | None = None,
) -> Dispatcher:
    """The one Dispatcher of every county's bot. Its own data is the deployment's, for
    what runs outside an update's county (a failure notice's fallback language)."""
    dispatcher = Dispatcher(
        storage=storage or build_fsm_storage(settings, with_bot_id=True),
        clock=clock,
        catalogs=catalogs,
        settings=settings,
    )
    # A fallback account cache no county's update uses: each brings its own.
    actors = ActorMiddleware(catalogs, AccountCache(max_entries=1))
    wire_dispatcher(dispatcher, DbSessionMiddleware(), actors, first=CountyMiddleware(counties))
    dispatcher.update.outer_middleware(RegionSupervisorMiddleware(engine))
    return dispatcher


def build_county_bot(
    settings: Settings,
    engine: AsyncEngine,
    county: County,
    clock: Clock,
    metrics: Metrics | None = None,
) -> CountyBot:
    own = settings_for(settings, county)
    sessionmaker = county_sessionmaker(engine, county)
    catalogs = Catalogs.load(own.locale)
    bot = build_bot(own, county.bot_token)
    instrument_bot(bot, metrics, county.slug)
    reminders = (
        build_reminders(
            own, bot, sessionmaker, catalogs, clock, metrics=metrics, county=county.slug
        )
        if settings.scheduler == "inline"
        else None
    )
    return CountyBot(county, own, sessionmaker, catalogs, bot, reminders=reminders)


async def build_counties_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    fsm_storage: BaseStorage | None = None,
    metrics: Metrics | None = None,
) -> CountiesApp:
    """Upgrade the registry and every county's schema, then wire every county's bot (with
    `metrics`, each county's series labelled with its slug)."""
    clock = clock or SystemClock()
    if settings.bot_token is not None:
        logger.info("serving the counties of the registry: BOT_TOKEN is not used")
    engine = await open_county_engine(settings.database_url, **settings.engine_options())
    counties: list[CountyBot] = []
    try:
        registered = await list_counties(engine, settings.token_key_list)
        if not registered:
            raise ValueError("the registry holds no county: `cadrebot tenant add` adds one")
        for county in registered:
            await upgrade_if_behind(engine, county.schema)
        for county in registered:
            counties.append(build_county_bot(settings, engine, county, clock, metrics))
        catalogs = Catalogs.load(settings.locale)
        dispatcher = build_counties_dispatcher(
            settings, engine, counties, catalogs, clock, fsm_storage
        )
    except BaseException:
        for built in counties:
            await built.bot.session.close()
        await engine.dispose()
        raise
    if metrics is not None:
        metrics.watch_pool(engine)
    pollers = {
        county.slug: BatchPoller(
            county.bot,
            dispatcher,
            parallel_chats=PARALLEL_CHATS,
            monitor=UpdateMonitor(county.slug, metrics),
        )
        for county in counties
    }
    logger.info("serving %d counties: %s", len(counties), ", ".join(c.slug for c in counties))
    app = CountiesApp(settings, engine, catalogs, dispatcher, counties, pollers, metrics)
    if metrics is not None:
        metrics.watch_tokens(pollers, lambda: app.refused)
    return app


def county_reminders(app: CountiesApp) -> list[ReminderService]:
    """Each served county's scheduler and sender (its own lease row, bot and outbox)."""
    return [county.reminders for county in app.serving if county.reminders is not None]


async def start_counties(
    app: CountiesApp, first_calls: Callable[[CountyBot], Awaitable[None]]
) -> None:
    """Each county's first Bot API calls; a county whose token Telegram refuses is left out
    and the next one started. Other errors go on as they are (none is served then)."""
    for county in app.serving:
        try:
            await first_calls(county)
        except TOKEN_REFUSED as error:
            app.leave_out(county, error)
    if not app.serving:
        raise NoCountyServed(
            f"Telegram refused the bot token of every county ({', '.join(app.refused)})"
        )


async def _start_polling(county: CountyBot) -> None:
    await county.bot.delete_webhook(drop_pending_updates=False)
    await publish_commands(county.bot, county.catalogs)
    me = await county.bot.get_me()
    logger.info("county %s: polling as @%s", county.slug, me.username)


async def run_counties_polling(app: CountiesApp, *, handle_signals: bool = True) -> None:
    """Poll every county's bot until stopped (a signal, or `app.stop_polling()`). A poller
    whose token Telegram refuses stops its county alone (and its reminders); any other
    poller failing stops the others, and its error is raised."""
    await start_counties(app, _start_polling)
    if handle_signals:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, app.stop_polling)
    started = await start_all(county_reminders(app))
    tasks = {
        asyncio.create_task(app.pollers[county.slug].run(), name=f"poller:{county.slug}"): county
        for county in app.serving
    }
    try:
        await _until_stopped(app, tasks, started)
    finally:
        app.stop_polling()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        await stop_all(started)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, TOKEN_REFUSED):
            raise result
    if not app.serving:
        raise NoCountyServed("Telegram refused the bot token of every county while polling")


async def _until_stopped(
    app: CountiesApp, tasks: dict[asyncio.Task[None], CountyBot], started: list[ReminderService]
) -> None:
    """Wait for the pollers: one refused leaves its county out (its reminders stopped) and
    the others poll on; any other failure ends the wait."""
    pending = set(tasks)
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            error = None if task.cancelled() else task.exception()
            if error is None:
                continue
            if not isinstance(error, TOKEN_REFUSED):
                return
            county = tasks[task]
            app.leave_out(county, error)
            if county.reminders is not None and county.reminders in started:
                started.remove(county.reminders)
                await stop_all([county.reminders])
