"""Optional visit evidence: photos of both visit kinds, and visits flagged far from the place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Cadre,
    Household,
    HouseholdVisit,
    Unit,
    Village,
    VillageVisit,
    VisitPhoto,
)
from storage.upsert import insert_ignore_duplicate

VisitKind = Literal["household", "village"]


@dataclass(frozen=True)
class NewPhoto:
    """A photo row just added to a visit; what the evidence folder needs to keep a copy."""

    photo_id: int
    file_id: str
    file_unique_id: str
    kind: VisitKind
    visit_id: int
    visit_date: date


@dataclass(frozen=True)
class FarVisitRow:
    """A visit whose reported location was far from the place's recorded position."""

    kind: VisitKind
    visit_id: int
    visit_date: date
    place_code: str
    place_name: str
    cadre_code: str
    cadre_name: str
    unit_code: str
    distance_m: float
    accuracy_m: float | None


async def attach_photos(
    session: AsyncSession,
    kind: VisitKind,
    visit_id: int,
    visit_date: date,
    photos: Sequence[tuple[str, str]],
    at: datetime,
) -> list[NewPhoto]:
    """Keep (file_id, file_unique_id) of each photo; the same photo twice is one row."""
    column = "household_visit_id" if kind == "household" else "village_visit_id"
    added: list[NewPhoto] = []
    for file_id, file_unique_id in photos:
        row = await insert_ignore_duplicate(
            session,
            VisitPhoto,
            {
                column: visit_id,
                "file_id": file_id,
                "file_unique_id": file_unique_id,
                "added_at": at,
            },
            conflict_columns=(column, "file_unique_id"),
        )
        if row is not None:
            added.append(NewPhoto(row, file_id, file_unique_id, kind, visit_id, visit_date))
    return added


async def set_photo_path(session: AsyncSession, photo_id: int, path: str) -> None:
    await session.execute(
        update(VisitPhoto).where(VisitPhoto.id == photo_id).values(saved_path=path)
    )


async def far_visit_rows(
    session: AsyncSession, first_day: date, last_day: date
) -> list[FarVisitRow]:
    """Flagged visits of both kinds dated in [first_day, last_day]: one query per kind."""
    households = (
        select(
            HouseholdVisit.id,
            HouseholdVisit.visit_date,
            Household.code,
            Household.head_name,
            Cadre.code,
            Cadre.name,
            Unit.code,
            HouseholdVisit.distance_m,
            HouseholdVisit.accuracy_m,
        )
        .join(Household, Household.id == HouseholdVisit.household_id)
        .join(Cadre, Cadre.id == HouseholdVisit.cadre_id)
        .join(Unit, Unit.id == Cadre.unit_id)
        .where(
            HouseholdVisit.far_from_place.is_(True),
            HouseholdVisit.visit_date.between(first_day, last_day),
        )
    )
    villages = (
        select(
            VillageVisit.id,
            VillageVisit.visit_date,
            Village.code,
            Village.name,
            Cadre.code,
            Cadre.name,
            Unit.code,
            VillageVisit.distance_m,
            VillageVisit.accuracy_m,
        )
        .join(Village, Village.id == VillageVisit.village_id)
        .join(Cadre, Cadre.id == VillageVisit.cadre_id)
        .join(Unit, Unit.id == VillageVisit.unit_id)
        .where(
            VillageVisit.far_from_place.is_(True),
            VillageVisit.visit_date.between(first_day, last_day),
        )
    )
    rows = [_far("household", row) for row in await session.execute(households)]
    rows += [_far("village", row) for row in await session.execute(villages)]
    return sorted(rows, key=lambda r: (r.visit_date, r.kind, r.place_code))


_FarRow = Row[int, date, str, str, str, str, str, float | None, float | None]


def _far(kind: VisitKind, row: _FarRow) -> FarVisitRow:
    visit_id, visit_date, code, name, cadre_code, cadre_name, unit_code, meters, accuracy = row
    return FarVisitRow(
        kind,
        visit_id,
        visit_date,
        code,
        name,
        cadre_code,
        cadre_name,
        unit_code,
        float(meters or 0.0),  # a far flag is only set with a distance
        accuracy,
    )
