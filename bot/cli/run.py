"""`cadrebot run`: the bot on Telegram, or the local sandbox when no BOT_TOKEN is set; every
county's bot when the deployment serves counties (PostgreSQL with counties registered)."""

from __future__ import annotations

import logging

from bot.app import build_app, run_polling
from bot.metrics import Metrics
from bot.settings import Settings
from domain.clock import Clock

logger = logging.getLogger(__name__)


async def run_bot(settings: Settings, clock: Clock) -> int:
    """Poll (or serve the webhook) until stopped; the app opens (and upgrades) its own database."""
    from bot.county_app import serves_counties

    if await serves_counties(settings):
        return await run_counties(settings, clock)
    if settings.bot_token is None:
        from bot.sandbox import run_sandbox

        return await run_sandbox(settings, clock)
    from bot.monitoring import app_monitoring, serving

    app = await build_app(settings, clock=clock, metrics=new_metrics(settings))
    try:
        async with serving(settings, lambda: app_monitoring(app, clock)):
            if settings.mode == "webhook":
                from bot.webhook import run_webhook

                await run_webhook(app)
            else:
                await run_polling(app)
    finally:
        await app.close()
    return 0


async def run_counties(settings: Settings, clock: Clock) -> int:
    """Every county's bot of the registry, in one process (bot.county_app); 1 when Telegram
    refused every county's token (each refusal logged as it came)."""
    from bot.county_app import NoCountyServed, build_counties_app, run_counties_polling
    from bot.monitoring import counties_monitoring, serving

    app = await build_counties_app(settings, clock=clock, metrics=new_metrics(settings))
    try:
        async with serving(settings, lambda: counties_monitoring(app, clock)):
            if settings.mode == "webhook":
                from bot.county_webhook import run_counties_webhook

                await run_counties_webhook(app)
            else:
                await run_counties_polling(app)
    except NoCountyServed as error:
        logger.error("%s: no county is served, stopping", error)
        return 1
    finally:
        await app.close()
    return 0


def new_metrics(settings: Settings) -> Metrics | None:
    """The process's metrics registry, when CADREBOT_METRICS_PORT turns monitoring on."""
    return Metrics() if settings.metrics_port is not None else None
