"""The Bot client alone, without dispatcher or handlers: for commands that only call the API."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot.settings import Settings


def build_bot(settings: Settings, token: str | None = None) -> Bot:
    """A Bot talking HTTP to the configured Bot API server (public or self-hosted)."""
    secret = token or (settings.bot_token.get_secret_value() if settings.bot_token else None)
    if not secret:
        raise ValueError("BOT_TOKEN is not set")
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(secret, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
