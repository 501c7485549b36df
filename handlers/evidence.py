"""Telegram's side of the evidence folder: downloading a photo's bytes by file id."""

from __future__ import annotations

import io
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from services.evidence import Fetch

logger = logging.getLogger(__name__)


def telegram_fetch(bot: Bot) -> Fetch:
    """A downloader for services.evidence.keep_photo_copies; a failure gives None, not an error."""

    async def fetch(file_id: str) -> bytes | None:
        buffer = io.BytesIO()
        try:
            await bot.download(file_id, destination=buffer)
        except (TelegramAPIError, OSError) as error:
            logger.warning("photo %r not downloaded: %r", file_id, error)
            return None
        return buffer.getvalue()

    return fetch
