"""Light visit evidence: copies of photos in a folder, and far visits for supervisors.

Nothing here is ever required for a visit: the 2023 national rules against "formalism at
the fingertips" forbid forcing check-ins, so evidence only informs, it never gates.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.geo import check_location
from domain.plan_rules import PlanRules
from services.transaction import unit_of_work
from storage import evidence as repo
from storage.evidence import FarVisitRow, NewPhoto, VisitKind

__all__ = [
    "Evidence",
    "FarVisitRow",
    "Fetch",
    "NewPhoto",
    "Recorded",
    "evidence_path",
    "far_visits",
    "keep_photo_copies",
    "record_visit",
]

logger = logging.getLogger(__name__)

# Downloads a messaging file by id; None when it could not be had (the visit stays logged).
Fetch = Callable[[str], Awaitable[bytes | None]]


@dataclass(frozen=True)
class Evidence:
    """What a cadre may add to either kind of visit: where they stood, photos; all optional."""

    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    # Photos as (file_id, file_unique_id).
    photos: tuple[tuple[str, str], ...] = ()

    @property
    def location(self) -> tuple[float, float] | None:
        """Both coordinates or nothing: half a location is no location."""
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)


@dataclass(frozen=True)
class Recorded:
    """What one report did: a new visit or that day's visit again, and the evidence kept."""

    created: bool
    visit_id: int | None
    distance_m: float | None = None
    located: bool = False
    # Photos new with this report (also on an already logged visit), for the evidence folder.
    new_photos: tuple[NewPhoto, ...] = ()


InsertVisit = Callable[[dict[str, Any]], Awaitable[int | None]]
VisitOnThatDay = Callable[[], Awaitable[int | None]]


async def record_visit(
    session: AsyncSession,
    kind: VisitKind,
    values: dict[str, Any],
    evidence: Evidence,
    place: tuple[float | None, float | None],
    rules: PlanRules,
    insert: InsertVisit,
    that_day: VisitOnThatDay,
) -> Recorded:
    """Insert the visit with its location check, and join its photos; inside the caller's
    transaction. `values` holds the visit's own columns, `visit_date` and `reported_at` too."""
    location = check_location(evidence.location, evidence.accuracy_m, place, rules.far_beyond_m)
    visit_id = await insert(
        {
            **values,
            "latitude": evidence.latitude,
            "longitude": evidence.longitude,
            "accuracy_m": evidence.accuracy_m,
            "distance_m": location.distance_m,
            "far_from_place": location.far,
        }
    )
    target = visit_id
    new_photos: list[NewPhoto] = []
    if evidence.photos:
        # Photos of a visit already logged that day still join it (each photo once).
        target = target or await that_day()
        if target is not None:
            new_photos = await repo.attach_photos(
                session, kind, target, values["visit_date"], evidence.photos, values["reported_at"]
            )
    created = visit_id is not None
    return Recorded(
        created=created,
        visit_id=target,
        distance_m=location.distance_m if created else None,
        located=created and evidence.latitude is not None,
        new_photos=tuple(new_photos),
    )


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
        async with unit_of_work(session):
            for photo_id, path in saved:
                await repo.set_photo_path(session, photo_id, str(path))
    return [path for _, path in saved]


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


async def far_visits(session: AsyncSession, first_day: date, last_day: date) -> list[FarVisitRow]:
    """Household and village visits dated in the range whose location was flagged far."""
    async with unit_of_work(session):
        return await repo.far_visit_rows(session, first_day, last_day)
