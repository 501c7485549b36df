"""Light visit evidence: copies of photos in a folder, and far visits for supervisors.

Nothing here is ever required for a visit: the 2023 national rules against "formalism at
the fingertips" forbid forcing check-ins, so evidence only informs, it never gates.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from storage import evidence as repo
from storage.evidence import FarVisitRow, NewPhoto, VisitKind

__all__ = ["FarVisitRow", "Fetch", "NewPhoto", "evidence_path", "far_visits", "keep_photo_copies"]

logger = logging.getLogger(__name__)

# Downloads a messaging file by id; None when it could not be had (the visit stays logged).
Fetch = Callable[[str], Awaitable[bytes | None]]


def evidence_path(
    folder: Path, kind: VisitKind, visit_id: int, visit_date: date, file_unique_id: str
) -> Path:
    """`<folder>/<yyyy>/<mm>/<kind>-<visit id>-<file_unique_id>.jpg`, by the visit's date."""
    safe_id = "".join(c for c in file_unique_id if c.isalnum() or c in "-_")
    return folder / f"{visit_date:%Y}" / f"{visit_date:%m}" / f"{kind}-{visit_id}-{safe_id}.jpg"


async def keep_photo_copies(
    session: AsyncSession, fetch: Fetch, folder: Path, photos: Sequence[NewPhoto]
) -> list[Path]:
    """Save each new photo's bytes and remember the path; runs after the visit committed.

    A failed download or write loses only that copy (the file id stays in the database).
    Files are written in a worker thread so the event loop keeps serving other chats.
    """
    saved: list[tuple[int, Path]] = []
    for photo in photos:
        data = await fetch(photo.file_id)
        if data is None:
            continue
        path = evidence_path(
            folder, photo.kind, photo.visit_id, photo.visit_date, photo.file_unique_id
        )
        try:
            await asyncio.to_thread(_write, path, data)
        except OSError as error:
            logger.warning("photo %s not saved to %s: %r", photo.file_unique_id, path, error)
            continue
        saved.append((photo.photo_id, path))
    if saved:
        async with session.begin():
            for photo_id, path in saved:
                await repo.set_photo_path(session, photo_id, str(path))
    return [path for _, path in saved]


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


async def far_visits(session: AsyncSession, first_day: date, last_day: date) -> list[FarVisitRow]:
    """Household and village visits dated in the range whose location was flagged far."""
    async with session.begin():
        return await repo.far_visit_rows(session, first_day, last_day)
