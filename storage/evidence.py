"""Optional visit evidence: photos of both visit kinds, and visits flagged far from the place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import Row, Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

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


@dataclass(frozen=True)
class SavedCopy:
    """A photo whose copy the evidence folder holds (as far as the database knows)."""

    photo_id: int
    saved_path: str
    visit_date: date


async def copies_of_visits_before(session: AsyncSession, before: date) -> list[SavedCopy]:
    """Photos with a saved copy whose visit (of either kind) is dated before `before`."""
    copies: list[SavedCopy] = []
    for visit, column in (
        (HouseholdVisit, VisitPhoto.household_visit_id),
        (VillageVisit, VisitPhoto.village_visit_id),
    ):
        rows = await session.execute(
            select(VisitPhoto.id, VisitPhoto.saved_path, visit.visit_date)
            .join(visit, visit.id == column)
            .where(VisitPhoto.saved_path.is_not(None), visit.visit_date < before)
            .order_by(visit.visit_date, VisitPhoto.id)
        )
        copies += [SavedCopy(photo_id, str(path), day) for photo_id, path, day in rows]
    return copies


async def forget_copies(session: AsyncSession, photo_ids: Sequence[int]) -> None:
    """The copies are gone (purged): the rows keep Telegram's file id, no path."""
    for start in range(0, len(photo_ids), 500):
        chunk = photo_ids[start : start + 500]
        await session.execute(
            update(VisitPhoto).where(VisitPhoto.id.in_(chunk)).values(saved_path=None)
        )


@dataclass(frozen=True)
class _Visits:
    """Where one kind of visit keeps its place and its reporting unit."""

    kind: VisitKind
    visit: type[HouseholdVisit] | type[VillageVisit]
    place: type[Household] | type[Village]
    place_name: InstrumentedAttribute[str]
    place_id: InstrumentedAttribute[int]
    unit_id: InstrumentedAttribute[int]

    def far(
        self, first_day: date, last_day: date
    ) -> Select[int, date, str, str, str, str, str, float | None, float | None]:
        """Flagged visits with the place, the cadre and the unit that reported them."""
        visit, place = self.visit, self.place
        return (
            select(
                visit.id,
                visit.visit_date,
                place.code,
                self.place_name,
                Cadre.code,
                Cadre.name,
                Unit.code,
                visit.distance_m,
                visit.accuracy_m,
            )
            .join(place, place.id == self.place_id)
            .join(Cadre, Cadre.id == visit.cadre_id)
            .join(Unit, Unit.id == self.unit_id)
            .where(visit.far_from_place.is_(True), visit.visit_date.between(first_day, last_day))
        )


_KINDS = (
    _Visits("household", HouseholdVisit, Household, Household.head_name,
            HouseholdVisit.household_id, Cadre.unit_id),
    _Visits("village", VillageVisit, Village, Village.name,
            VillageVisit.village_id, VillageVisit.unit_id),
)  # fmt: skip


async def far_visit_rows(
    session: AsyncSession, first_day: date, last_day: date
) -> list[FarVisitRow]:
    """Flagged visits of both kinds dated in [first_day, last_day]: one query per kind."""
    rows = [
        _far(visits.kind, row)
        for visits in _KINDS
        for row in await session.execute(visits.far(first_day, last_day))
    ]
    return sorted(rows, key=lambda r: (r.visit_date, r.kind, r.place_code))


async def far_visit_count(session: AsyncSession, first_day: date, last_day: date) -> int:
    """How many visits of both kinds dated in [first_day, last_day] are flagged far: counted
    in the database (every visit has its place, cadre and unit, as far_visit_rows joins)."""
    total = 0
    for visits in _KINDS:
        visit = visits.visit
        statement = select(func.count()).where(
            visit.far_from_place.is_(True), visit.visit_date.between(first_day, last_day)
        )
        total += (await session.execute(statement)).scalar_one()
    return total


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
