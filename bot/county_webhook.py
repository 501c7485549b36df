"""Webhook mode for a deployment of counties: one path per county, one server per replica.

Telegram posts each county's updates to `/telegram/webhook/<slug>` (no token in the path:
proxies log paths). Each path has its own UpdateProcessor: the county's bot, the shared
Dispatcher and the county's session factory, so the update's claim (processed_updates)
lives in the county's schema; chat locks are held per (bot, chat) (bot.chat_locks scopes),
so the same person writing to two counties' bots is two chats. Everything else (claims,
order, failure policy, graceful stop) is bot.webhook's. A county whose token Telegram
refuses at setMyCommands or setWebhook is left out (bot.county_app): its path answers 404,
its reminders do not start, the other counties are served.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.chat_locks import ChatLocks, ScopedChatLocks, chat_locks
from bot.commands import publish_commands
from bot.county_app import CountiesApp, CountyBot, county_reminders, start_counties
from bot.settings import Settings
from bot.update_log import UpdateLogPurge
from bot.webhook import (
    WEBHOOK_PATH,
    UpdateProcessor,
    WebhookPolicy,
    WebhookRequestHandler,
    WebhookServer,
    replica_stop,
    serve_replica,
    set_webhook,
)
from storage.tenancy import County

logger = logging.getLogger(__name__)


def county_path(county: County) -> str:
    return f"{WEBHOOK_PATH}/{county.slug}"


class CountyRequestHandler(WebhookRequestHandler):
    """A county's path; once its token is refused (it is left out), a path of no county."""

    def __init__(
        self, processor: UpdateProcessor, secret_token: str, app: CountiesApp, slug: str
    ) -> None:
        super().__init__(processor, secret_token)
        self.app = app
        self.slug = slug

    async def handle(self, request: web.Request) -> web.Response:
        if self.slug in self.app.refused:
            return web.Response(status=404, text="Not Found")
        return await super().handle(request)


def county_routes(
    app: CountiesApp, settings: Settings, locks: ChatLocks, policy: WebhookPolicy
) -> dict[str, WebhookRequestHandler]:
    """A handler per county's path, each with its county's processor."""
    assert settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    routes: dict[str, WebhookRequestHandler] = {}
    for county in app.counties:
        scoped = ScopedChatLocks(locks, county.bot.id)
        monitor = app.pollers[county.slug].monitor  # the county's log lines and metrics
        processor = UpdateProcessor(
            county.bot, app.dispatcher, county.sessionmaker, scoped, policy, monitor=monitor
        )
        handler = CountyRequestHandler(processor, secret, app, county.slug)
        routes[county_path(county.county)] = handler
    return routes


async def set_county_webhooks(app: CountiesApp) -> None:
    """Each county's bot pointed at its own path (the same on every replica); a county whose
    token Telegram refuses is left out, the others pointed (bot.county_app.start_counties)."""

    async def point(county: CountyBot) -> None:
        await publish_commands(county.bot, county.catalogs)
        await set_webhook(county.bot, app.dispatcher, app.settings, county_path(county.county))

    await start_counties(app, point)


async def run_counties_webhook(
    app: CountiesApp,
    *,
    stop: asyncio.Event | None = None,
    policy: WebhookPolicy | None = None,
    locks: ChatLocks | None = None,
) -> None:
    """Serve every county on this replica until `stop` (None: SIGINT or SIGTERM); then
    stop as bot.webhook.run_webhook does, the webhooks left set for the other replicas."""
    settings = app.settings
    stop = replica_stop(settings, stop)
    policy = policy or WebhookPolicy()
    update_log = UpdateLogPurge(
        [county.sessionmaker for county in app.counties], settings.retention, policy.purge_every
    )
    locks = locks or chat_locks(settings.database_url, settings.redis_url)
    server = WebhookServer(
        county_routes(app, settings, locks, policy), settings.webhook_host, settings.webhook_port
    )

    async def point_webhooks() -> None:
        await set_county_webhooks(app)
        logger.info(
            "webhook replica listening on %s%s/<county> for %d counties",
            server.url,
            WEBHOOK_PATH,
            len(app.serving),
        )

    bots = [county.bot for county in app.counties]
    await serve_replica(
        server,
        app.dispatcher,
        bots,
        stop,
        point_webhooks,
        lambda: county_reminders(app),  # once the webhooks are set: the served counties'
        locks,
        update_log,
    )
