"""Copies of visit photos in a local evidence folder, when the county wants them kept."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from services.visits import VisitOutcome

logger = logging.getLogger(__name__)


async def save_visit_photos(bot: Bot, folder: Path, outcome: VisitOutcome) -> list[tuple[int, str]]:
    """Download each new photo to <folder>/<yyyy>/<mm>/household-<visit>-<unique id>.jpg.

    Runs after the visit was committed; a failed download loses no visit, only that copy
    (the Telegram file id stays in the database).
    """
    saved: list[tuple[int, str]] = []
    for photo_id, file_id, unique_id in outcome.new_photos:
        path = (
            folder
            / f"{outcome.visit_date:%Y}"
            / f"{outcome.visit_date:%m}"
            / f"household-{outcome.visit_id}-{unique_id}.jpg"
        )
        buffer = io.BytesIO()
        try:
            await bot.download(file_id, destination=buffer)
        except TelegramAPIError as error:
            logger.warning("photo %r not saved: %r", file_id, error)
            continue
        await asyncio.to_thread(_write, path, buffer.getvalue())
        saved.append((photo_id, str(path)))
    return saved


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
