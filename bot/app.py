"""App factory: builds the engine, Bot, Dispatcher and passes dependencies down."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.commands import publish_commands
from bot.metrics import Metrics
from bot.middlewares import (
    ActorMiddleware,
    CallbackAnswerMiddleware,
    ControlCharacterMiddleware,
    DbSessionMiddleware,
    ReplyingMiddleware,
)
from bot.observing import UpdateMonitor, instrument_bot, watch_handlers
from bot.polling import BatchPoller
from bot.settings import Settings
from bot.telegram import build_bot
from domain.clock import Clock, SystemClock
from handlers import build_root_router
from handlers.refusals import RefusalMiddleware
from reminders.rules import RuleContext
from reminders.scheduler import ReminderService
from reminders.sender import SenderSettings
from services.actors import AccountCache
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade_if_behind
from ui.i18n import Catalogs

logger = logging.getLogger(__name__)


def build_fsm_storage(settings: Settings, *, with_bot_id: bool = False) -> BaseStorage:
    """Guided flows survive a restart when Redis is configured; memory otherwise.

    `with_bot_id`: several bots share the storage (a deployment of counties), so a key
    names the bot too, and one person's flow in one county's bot is not seen by another's.
    (Memory keys always hold the bot's id.)"""
    if settings.redis_url:
        from aiogram.fsm.storage.base import DefaultKeyBuilder
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(
            settings.redis_url,
            key_builder=DefaultKeyBuilder(with_bot_id=with_bot_id),
            state_ttl=86400,
            data_ttl=86400,
        )
    return MemoryStorage()


def build_dispatcher(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    catalogs: Catalogs,
    clock: Clock,
    storage: BaseStorage | None = None,
) -> Dispatcher:
    """Routers plus the per-update middlewares; dependencies reach handlers as keywords."""
    accounts = AccountCache()
    dispatcher = Dispatcher(
        storage=storage or build_fsm_storage(settings),
        accounts=accounts,
        clock=clock,
        catalogs=catalogs,
        settings=settings,
        plan_rules=settings.plan_rules(),
        quiet_hours=settings.quiet,
    )
    wire_dispatcher(
        dispatcher, DbSessionMiddleware(sessionmaker), ActorMiddleware(catalogs, accounts)
    )
    return dispatcher


def wire_dispatcher(
    dispatcher: Dispatcher,
    sessions: DbSessionMiddleware,
    actors: ActorMiddleware,
    first: BaseMiddleware | None = None,
) -> None:
    """The middlewares and routers every dispatcher has; `first` runs before them all (a
    deployment of counties: the one that says whose update it is, bot.county_app)."""
    if first is not None:
        dispatcher.update.outer_middleware(first)
    dispatcher.update.outer_middleware(ReplyingMiddleware())
    dispatcher.update.outer_middleware(sessions)
    dispatcher.update.outer_middleware(actors)
    # Around filters and handlers: every callback answered; control characters reach neither.
    dispatcher.callback_query.outer_middleware(CallbackAnswerMiddleware())
    dispatcher.callback_query.outer_middleware(ControlCharacterMiddleware())
    dispatcher.message.outer_middleware(ControlCharacterMiddleware())
    dispatcher.message.middleware(RefusalMiddleware())
    dispatcher.callback_query.middleware(RefusalMiddleware())
    watch_handlers(dispatcher)  # inside RefusalMiddleware: it sees the refusals pass
    dispatcher.include_router(build_root_router())


@dataclass
class App:
    """Everything one running bot needs; closed together."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    catalogs: Catalogs
    bot: Bot
    dispatcher: Dispatcher
    poller: BatchPoller
    # Scheduler and sender of reminders, when they run inside the bot process.
    reminders: ReminderService | None = None
    # With CADREBOT_METRICS_PORT: what the monitoring server shows (bot.monitoring).
    metrics: Metrics | None = None

    async def close(self) -> None:
        await self.dispatcher.storage.close()
        await self.bot.session.close()
        await self.engine.dispose()


async def build_app(
    settings: Settings,
    *,
    token: str | None = None,
    clock: Clock | None = None,
    fsm_storage: BaseStorage | None = None,
    metrics: Metrics | None = None,
) -> App:
    """Upgrade the schema, then wire the bot; nothing here runs at import time. With
    `metrics`, its updates, Bot API calls, reminders and pool are counted there."""
    clock = clock or SystemClock()
    engine = make_engine(settings.database_url, **settings.engine_options())
    try:
        await upgrade_if_behind(engine)
    except BaseException:
        await engine.dispose()
        raise
    sessionmaker = make_sessionmaker(engine)
    catalogs = Catalogs.load(settings.locale)
    bot = build_bot(settings, token)
    instrument_bot(bot, metrics)
    if metrics is not None:
        metrics.watch_pool(engine)
    dispatcher = build_dispatcher(settings, sessionmaker, catalogs, clock, storage=fsm_storage)
    # SQLite serialises every transaction anyway: chats in parallel only add contention.
    parallel_chats = 1 if engine.dialect.name == "sqlite" else 8
    monitor = UpdateMonitor(metrics=metrics)
    poller = BatchPoller(bot, dispatcher, parallel_chats=parallel_chats, monitor=monitor)
    reminders = (
        build_reminders(settings, bot, sessionmaker, catalogs, clock, metrics=metrics)
        if settings.scheduler == "inline"
        else None
    )
    return App(
        settings, engine, sessionmaker, catalogs, bot, dispatcher, poller, reminders, metrics
    )


def build_reminders(
    settings: Settings,
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    catalogs: Catalogs,
    clock: Clock,
    *,
    metrics: Metrics | None = None,
    county: str = "",
) -> ReminderService:
    """Scheduler + outbox sender with the configured rate and quiet hours; with `metrics`,
    its rule runs counted and its lease shown (under `county`'s label)."""
    context = RuleContext(settings.tz, catalogs, settings.ledger_season_opens_month_day)
    sender_settings = SenderSettings(rate=settings.reminder_rate, quiet=settings.quiet)
    lease = timedelta(seconds=settings.lease_seconds)
    counted = metrics.rule_run_counter(county) if metrics is not None else None
    service = ReminderService.build(
        bot, sessionmaker, clock, context, sender_settings, lease=lease, on_rule_run=counted
    )
    if metrics is not None:
        metrics.watch_lease(county, service.scheduler.holds_lease)
    return service


async def run_polling(app: App, *, handle_signals: bool = True) -> None:
    """Poll until the poller is stopped; see bot.polling for why not aiogram's own loop."""
    await app.bot.delete_webhook(drop_pending_updates=False)
    await publish_commands(app.bot, app.catalogs)
    me = await app.bot.get_me()
    logger.info("polling as @%s", me.username)
    if app.reminders is not None:
        await app.reminders.start()
    try:
        await app.poller.run(handle_signals=handle_signals)
    finally:
        if app.reminders is not None:
            await app.reminders.stop()
