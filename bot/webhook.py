"""Webhook mode: Telegram posts each update to one of N replicas behind a load balancer.

The answer to Telegram's POST is the confirmation, so it is given only when the update was
handled and committed (never "200 now, handle in the background"): a replica that dies
mid-update leaves the POST unanswered and Telegram delivers it again, to this replica or
another. What makes that safe:

- `processed_updates` (storage.processed_updates): the update is claimed before it is
  handled and marked done after; a redelivery of a finished update is answered 200 and
  changes nothing, one whose claim is fresh (another replica is on it) gets 503, one whose
  claim is older than `claim_timeout` (its replica died) is taken over. A replica that dies
  after its handler committed but before the mark may have the update handled again: the
  unique keys (one visit per household and day, ...) keep that harmless.
- Per-chat order: an update waits while an earlier update of its chat is claimed and not
  finished (up to `order_wait`, then 503 so Telegram asks again later), and holds the
  chat's lock (bot.chat_locks: Redis or PostgreSQL across replicas) while it is handled.
  Guided flows keep their state in the FSM storage (Redis), so any replica continues any
  flow.

Failure policy, as the poller's (bot.polling): a failure that may pass (the database or
Telegram away) is tried again a few times within the request, then answered 503 so that
Telegram redelivers; after `max_deliveries` such deliveries the update has failed for good.
A bug fails for good at once. Failed for good: logged, the person told once whether
anything was saved, the update marked failed and answered 200, so a poison update never
holds its chat's later updates for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.chat_locks import ChatLocks, LockBusy, chat_locks
from bot.commands import publish_commands
from bot.listening import listen
from bot.observing import UpdateMonitor, settle_handled
from bot.polling import UpdateHandling, chat_key, handling_update, is_transient, tell_failed
from bot.settings import Settings
from bot.update_context import DUPLICATE, ERROR, OK, RETRY, current_update
from bot.update_log import PURGE_EVERY, UpdateLogPurge, wall_clock
from reminders.scheduler import ReminderService, start_all, stop_all
from storage.processed_updates import (
    claim_update,
    earlier_unfinished,
    finish_update,
    release_update,
)

if TYPE_CHECKING:
    from bot.app import App

logger = logging.getLogger(__name__)

# No token in the path: the path shows up in proxies' logs.
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# How long a replica's in-flight updates may take to finish once it is asked to stop.
SHUTDOWN_TIMEOUT = 60.0

Outcome = Literal["done", "failed", "finished", "later"]
# What each outcome is in the update's log line and metrics ("done": the handling said).
DELIVERY_OUTCOMES = {"failed": ERROR, "finished": DUPLICATE, "later": RETRY}


@dataclass(frozen=True)
class WebhookPolicy:
    """The webhook's timings; tests shorten them."""

    # A claim older than this is a dead replica's: another may take the update over.
    claim_timeout: float = 120.0
    # How long an update waits for an earlier update of its chat before asking for later.
    order_wait: float = 10.0
    # Waits between the tries of one update within one delivery.
    retry_delays: Sequence[float] = (0.5, 1.0)
    # Failing (and passing for a transient failure) in this many deliveries: failed for good.
    max_deliveries: int = 5
    # Between two purges of processed_updates past CADREBOT_UPDATE_LOG_RETENTION_DAYS.
    purge_every: float = PURGE_EVERY
    # Between two looks at whether the earlier update of the chat finished.
    order_poll: float = 0.05


class UpdateProcessor:
    """Claims, orders, handles and marks one delivered update; returns the HTTP status."""

    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        sessionmaker: async_sessionmaker[AsyncSession],
        locks: ChatLocks,
        policy: WebhookPolicy | None = None,
        now: Callable[[], datetime] = wall_clock,
        monitor: UpdateMonitor | None = None,
    ) -> None:
        self.bot = bot
        self.dispatcher = dispatcher
        self.sessionmaker = sessionmaker
        self.locks = locks
        self.policy = policy or WebhookPolicy()
        self.now = now
        self.monitor = monitor or UpdateMonitor()

    async def process(self, update: Update) -> int:
        """200: handled, failed for good, or handled before; 503: ask again later."""
        with self.monitor.delivery(update, chat_key(update)) as delivery:
            try:
                outcome = await self._process(update)
            except Exception as error:  # noqa: BLE001 - the claim or the mark failed: later
                logger.warning("update %r could not be taken (%r); 503", update.update_id, error)
                delivery.outcome = RETRY
                return 503
            delivery.outcome = DELIVERY_OUTCOMES.get(outcome, delivery.outcome or OK)
        return 503 if outcome == "later" else 200

    async def _process(self, update: Update) -> Outcome:
        chat = chat_key(update)
        now = self.now()
        stale = now - timedelta(seconds=self.policy.claim_timeout)
        async with self.sessionmaker() as session:
            claim = await claim_update(session, update.update_id, chat, now, stale)
        if claim == "finished":
            logger.info("update %r was handled before; answered again", update.update_id)
            return "finished"
        if claim == "busy":
            return "later"
        try:
            outcome = await self._in_turn(update, chat)
        except LockBusy:
            outcome = "later"
        if outcome == "later":
            async with self.sessionmaker() as session:
                await release_update(session, update.update_id, attempted=False)
        return outcome

    async def _in_turn(self, update: Update, chat: int | None) -> Outcome:
        """After the chat's earlier updates, holding the chat's lock."""
        if chat is None:
            return await self._handle(update)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.policy.order_wait
        while True:
            while await self._earlier_unfinished(update, chat):
                if loop.time() >= deadline:
                    logger.info("update %r waits for an earlier one of its chat", update.update_id)
                    return "later"
                await asyncio.sleep(self.policy.order_poll)
            async with self.locks.hold(chat):
                # An earlier update may have been claimed while this one took the lock.
                if not await self._earlier_unfinished(update, chat):
                    return await self._handle(update)

    async def _earlier_unfinished(self, update: Update, chat: int) -> bool:
        fresh = self.now() - timedelta(seconds=self.policy.claim_timeout)
        async with self.sessionmaker() as session:
            return await earlier_unfinished(session, chat, update.update_id, fresh)

    async def _handle(self, update: Update) -> Outcome:
        """Feed the update (a few tries for a transient failure), then mark it; the marks
        are written outside the handling, which would count them as the update's writes."""
        handling, error = await self._feed(update)
        if error is None:
            async with self.sessionmaker() as session:
                await finish_update(session, update.update_id, "done", self.now())
            return "done"
        if not is_transient(error):
            logger.error(
                "update %r (%s) failed for good",
                update.update_id,
                update.event_type,
                exc_info=error,
            )
            return await self._failed(update, handling)
        return await self._after_transient(update, error, handling)

    async def _feed(self, update: Update) -> tuple[UpdateHandling, Exception | None]:
        """The handling (what it committed, its language) and the last error, if any."""
        with handling_update() as handling:
            for delay in self.policy.retry_delays:
                error = await self._feed_once(update)
                if error is None or not is_transient(error):
                    return handling, error
                logger.warning(
                    "update %r failed (%r); again in %.1f s", update.update_id, error, delay
                )
                await asyncio.sleep(delay)
            return handling, await self._feed_once(update)

    async def _feed_once(self, update: Update) -> Exception | None:
        try:
            result = await self.dispatcher.feed_update(self.bot, update)
            if isinstance(result, TelegramMethod):
                await self.bot(result)  # a reply returned, not sent: sent and checked
        except Exception as error:  # noqa: BLE001 - sorted into transient and bug by the caller
            return error
        delivery = current_update()
        if delivery is not None:
            settle_handled(delivery, result)
        return None

    async def _after_transient(
        self, update: Update, error: Exception, handling: UpdateHandling
    ) -> Outcome:
        async with self.sessionmaker() as session:
            tries = await release_update(session, update.update_id, attempted=True)
        if tries < self.policy.max_deliveries:
            logger.warning(
                "update %r (%s) failed in delivery %d (%r); 503, Telegram delivers it again",
                update.update_id,
                update.event_type,
                tries,
                error,
            )
            return "later"
        logger.error(
            "update %r (%s) still failing after %d deliveries (%r); given up",
            update.update_id,
            update.event_type,
            tries,
            error,
        )
        return await self._failed(update, handling)

    async def _failed(self, update: Update, handling: UpdateHandling) -> Outcome:
        await tell_failed(self.bot, self.dispatcher, update, handling)
        async with self.sessionmaker() as session:
            await finish_update(session, update.update_id, "failed", self.now())
        return "failed"


class WebhookRequestHandler(SimpleRequestHandler):
    """aiogram's handler for one bot, answering only when the update is done: 403 without
    the secret header (aiogram's own says 401), the status of `UpdateProcessor` otherwise."""

    def __init__(self, processor: UpdateProcessor, secret_token: str) -> None:
        super().__init__(
            processor.dispatcher,
            processor.bot,
            handle_in_background=False,
            secret_token=secret_token,
        )
        self.processor = processor
        self.stopping = False

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        if not self.verify_secret(request.headers.get(SECRET_HEADER, ""), bot):
            logger.warning("webhook request without the right secret from %s", request.remote)
            return web.Response(status=403, text="Forbidden")
        if self.stopping:  # another replica takes it
            return web.Response(status=503, text="Stopping")
        return await self._handle_request(bot, request)

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        try:
            raw = await request.json(loads=bot.session.json_loads)
            update = Update.model_validate(raw, context={"bot": bot})
        except ValueError as error:
            logger.error("webhook body is not an update: %r", error)
            return web.Response(status=400, text="Bad Request")
        status = await self.processor.process(update)
        return web.json_response({}, status=status, dumps=bot.session.json_dumps)

    async def close(self) -> None:
        """Nothing here: aiohttp calls it before the in-flight updates are done, and they
        still need the bot's session (App.close closes it after them)."""


def make_web_app(routes: Mapping[str, WebhookRequestHandler]) -> web.Application:
    app = web.Application()
    for path, handler in routes.items():
        handler.register(app, path=path)
    return app


class WebhookServer:
    """One replica's HTTP server: start, then stop gracefully (or abort, in tests).

    One bot's handler at WEBHOOK_PATH, or (a deployment of counties) a handler per path."""

    def __init__(
        self,
        handler: WebhookRequestHandler | Mapping[str, WebhookRequestHandler],
        host: str,
        port: int,
        shutdown_timeout: float = SHUTDOWN_TIMEOUT,
    ) -> None:
        self.routes = dict(handler) if isinstance(handler, Mapping) else {WEBHOOK_PATH: handler}
        self.handler = next(iter(self.routes.values()))
        self.host = host
        self.port = port
        self.runner = web.AppRunner(
            make_web_app(self.routes), access_log=None, shutdown_timeout=shutdown_timeout
        )
        self.url: str | None = None

    async def start(self) -> str:
        """Listen; returns the base URL it listens on (port 0: any free port)."""
        self.url = await listen(self.runner, self.host, self.port)
        return self.url

    def _stopping(self) -> None:
        for handler in self.routes.values():
            handler.stopping = True

    async def stop(self) -> None:
        """Stop accepting, let the in-flight updates finish (up to the shutdown timeout)."""
        self._stopping()
        await self.runner.cleanup()

    async def abort(self) -> None:
        """As if the process died: the in-flight updates are cancelled where they are."""
        self._stopping()
        self.runner._shutdown_timeout = 0.0  # noqa: SLF001 - aiohttp has no setter
        await self.runner.cleanup()


async def set_webhook(
    bot: Bot, dispatcher: Dispatcher, settings: Settings, path: str = WEBHOOK_PATH
) -> None:
    """Point Telegram at the load balancer; each replica does it, the same each time."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    await bot.set_webhook(
        url=settings.webhook_url + path,
        secret_token=settings.webhook_secret.get_secret_value(),
        allowed_updates=dispatcher.resolve_used_update_types(),
        max_connections=settings.webhook_max_connections,
        drop_pending_updates=False,
    )


def warn_about_replicas(settings: Settings) -> None:
    """Webhook mode on more than one replica needs PostgreSQL and Redis; say so at start."""
    if settings.database_url.startswith("sqlite"):
        logger.warning(
            "webhook mode on SQLite: run ONE replica only (replicas need PostgreSQL and Redis)"
        )
    elif not settings.redis_url:
        logger.warning(
            "webhook mode without REDIS_URL: guided flows live in this process's memory, so "
            "run ONE replica only (replicas need REDIS_URL)"
        )


def build_handler(
    bot: Bot,
    dispatcher: Dispatcher,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    locks: ChatLocks | None = None,
    policy: WebhookPolicy | None = None,
    monitor: UpdateMonitor | None = None,
) -> WebhookRequestHandler:
    policy = policy or WebhookPolicy()
    locks = locks or chat_locks(settings.database_url, settings.redis_url)
    processor = UpdateProcessor(bot, dispatcher, sessionmaker, locks, policy, monitor=monitor)
    assert settings.webhook_secret is not None
    return WebhookRequestHandler(processor, settings.webhook_secret.get_secret_value())


def replica_stop(settings: Settings, stop: asyncio.Event | None) -> asyncio.Event:
    """What stops this replica: `stop`, or (None) SIGINT and SIGTERM; and the warning when
    its settings allow only one replica."""
    warn_about_replicas(settings)
    if stop is None:
        stop = asyncio.Event()
        stop_on_signals(stop)
    return stop


async def serve_replica(
    server: WebhookServer,
    dispatcher: Dispatcher,
    bots: Sequence[Bot],
    stop: asyncio.Event,
    point_webhooks: Callable[[], Awaitable[None]],
    reminders: Callable[[], Sequence[ReminderService]],
    locks: ChatLocks,
    update_log: UpdateLogPurge,
) -> None:
    """Purge the update log, listen, point Telegram here (`point_webhooks`), run the
    reminders and the hourly purge until `stop`; then stop gracefully: no new updates, the
    in-flight ones finished. The webhooks stay set: the other replicas still serve them.
    `reminders` is asked once the webhooks are set (a county refused there has none)."""
    workflow = {"dispatcher": dispatcher, "bots": list(bots), **dispatcher.workflow_data}
    await update_log.once()  # cheap: one DELETE on an indexed column per database
    await dispatcher.emit_startup(bot=bots[-1], **workflow)
    purging = asyncio.create_task(update_log.run_until(stop))
    try:
        await server.start()  # listening first: Telegram posts as soon as a webhook is set
        await point_webhooks()
        started = await start_all(reminders())
        try:
            await stop.wait()
        finally:
            await stop_all(started)
    finally:
        purging.cancel()
        await asyncio.wait([purging])
        await server.stop()  # stop accepting, finish the in-flight updates
        await dispatcher.emit_shutdown(bot=bots[-1], **workflow)
        await locks.close()


async def run_webhook(
    app: App,
    *,
    stop: asyncio.Event | None = None,
    policy: WebhookPolicy | None = None,
    locks: ChatLocks | None = None,
) -> None:
    """Serve this replica until `stop` is set (None: until SIGINT or SIGTERM), then stop
    gracefully (serve_replica)."""
    settings = app.settings
    stop = replica_stop(settings, stop)
    policy = policy or WebhookPolicy()
    update_log = UpdateLogPurge([app.sessionmaker], settings.retention, policy.purge_every)
    handler = build_handler(
        app.bot,
        app.dispatcher,
        app.sessionmaker,
        settings,
        locks=locks,
        policy=policy,
        monitor=app.poller.monitor,
    )
    server = WebhookServer(handler, settings.webhook_host, settings.webhook_port)

    async def point_webhook() -> None:
        await publish_commands(app.bot, app.catalogs)
        await set_webhook(app.bot, app.dispatcher, settings)
        logger.info("webhook replica listening on %s%s", server.url, WEBHOOK_PATH)

    reminders = [app.reminders] if app.reminders is not None else []
    await serve_replica(
        server,
        app.dispatcher,
        [app.bot],
        stop,
        point_webhook,
        lambda: reminders,
        handler.processor.locks,
        update_log,
    )


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
