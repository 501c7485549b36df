"""App factory: builds the engine, Bot, Dispatcher and passes dependencies down."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.commands import publish_commands
from bot.i18n import Catalogs
from bot.middlewares import ActorMiddleware, DbSessionMiddleware
from bot.settings import Settings
from domain.clock import Clock, SystemClock
from handlers import build_root_router
from handlers.refusals import RefusalMiddleware
from services.visits import VisitRules
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade

logger = logging.getLogger(__name__)


def build_bot(settings: Settings, token: str | None = None) -> Bot:
    """A Bot talking HTTP to the configured Bot API server (public or self-hosted)."""
    secret = token or (settings.bot_token.get_secret_value() if settings.bot_token else None)
    if not secret:
        raise ValueError("BOT_TOKEN is not set")
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(secret, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def build_fsm_storage(settings: Settings) -> BaseStorage:
    """Guided flows survive a restart when Redis is configured; memory otherwise."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(settings.redis_url, state_ttl=86400, data_ttl=86400)
    return MemoryStorage()


def build_dispatcher(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    catalogs: Catalogs,
    clock: Clock,
    storage: BaseStorage | None = None,
) -> Dispatcher:
    """Routers plus the per-update middlewares; dependencies reach handlers as keywords."""
    dispatcher = Dispatcher(
        storage=storage or build_fsm_storage(settings),
        clock=clock,
        catalogs=catalogs,
        settings=settings,
        visit_rules=VisitRules(tz=settings.tz, backdate_days=settings.backdate_days),
    )
    dispatcher.update.outer_middleware(DbSessionMiddleware(sessionmaker))
    dispatcher.update.outer_middleware(ActorMiddleware(catalogs))
    dispatcher.message.middleware(RefusalMiddleware())
    dispatcher.callback_query.middleware(RefusalMiddleware())
    dispatcher.include_router(build_root_router())
    return dispatcher


@dataclass
class App:
    """Everything one running bot needs; closed together."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    catalogs: Catalogs
    bot: Bot
    dispatcher: Dispatcher

    async def close(self) -> None:
        await self.dispatcher.storage.close()
        await self.bot.session.close()
        await self.engine.dispose()


async def build_app(
    settings: Settings, *, token: str | None = None, clock: Clock | None = None
) -> App:
    """Upgrade the schema, then wire the bot; nothing here runs at import time."""
    await upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    sessionmaker = make_sessionmaker(engine)
    catalogs = Catalogs.load(settings.locale)
    bot = build_bot(settings, token)
    dispatcher = build_dispatcher(settings, sessionmaker, catalogs, clock or SystemClock())
    return App(settings, engine, sessionmaker, catalogs, bot, dispatcher)


async def run_polling(app: App, *, handle_signals: bool = True) -> None:
    """Poll until stopped. Updates are handled one by one so an update is confirmed to
    Telegram only after it was processed: a crash means redelivery, never loss."""
    await app.bot.delete_webhook(drop_pending_updates=False)
    await publish_commands(app.bot, app.catalogs)
    me = await app.bot.get_me()
    logger.info("polling as @%s", me.username)
    await app.dispatcher.start_polling(
        app.bot,
        handle_as_tasks=False,
        handle_signals=handle_signals,
        close_bot_session=False,
        polling_timeout=25,
    )
