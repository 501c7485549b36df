"""`cadrebot run`: the bot on Telegram, or the local sandbox when no BOT_TOKEN is set."""

from __future__ import annotations

from bot.app import build_app, run_polling
from bot.settings import Settings
from domain.clock import Clock


async def run_bot(settings: Settings, clock: Clock) -> int:
    """Poll (or serve the webhook) until stopped; the app opens (and upgrades) its own database."""
    if settings.bot_token is None:
        from bot.sandbox import run_sandbox

        return await run_sandbox(settings, clock)
    app = await build_app(settings, clock=clock)
    try:
        if settings.mode == "webhook":
            from bot.webhook import run_webhook

            await run_webhook(app)
        else:
            await run_polling(app)
    finally:
        await app.close()
    return 0
