"""Village visits of pairing units: which villages a unit holds, visits, month coverage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Township, Unit, UnitVillage, Village, VillageVisit
from storage.places import visited_between
from storage.upsert import insert_ignore_duplicate


@dataclass(frozen=True)
class VillageCoverageRow:
    """One (unit, village) pairing and whether it was visited in the period."""

    unit_id: int
    unit_code: str
    unit_name: str
    village_id: int
    village_code: str
    village_name: str
    township_code: str
    township_name: str
    covered: bool


async def village_coverage_rows(
    session: AsyncSession, first_day: date, last_day: date, *, unit_id: int | None = None
) -> list[VillageCoverageRow]:
    """Every unit-village pairing with its coverage in [first_day, last_day]: one query."""
    visited = visited_between(
        VillageVisit.visit_date, first_day, last_day, VillageVisit.unit_id, VillageVisit.village_id
    )
    statement = (
        select(
            Unit.id,
            Unit.code,
            Unit.name,
            Village.id,
            Village.code,
            Village.name,
            Township.code,
            Township.name,
            visited.c.unit_id.is_not(None),
        )
        .select_from(UnitVillage)
        .join(Unit, Unit.id == UnitVillage.unit_id)
        .join(Village, Village.id == UnitVillage.village_id)
        .join(Township, Township.id == Village.township_id)
        .outerjoin(
            visited,
            and_(
                visited.c.unit_id == UnitVillage.unit_id,
                visited.c.village_id == UnitVillage.village_id,
            ),
        )
        .order_by(Unit.code, Village.code)
    )
    if unit_id is not None:
        statement = statement.where(UnitVillage.unit_id == unit_id)
    rows = (await session.execute(statement)).all()
    return [VillageCoverageRow(*row) for row in rows]


async def insert_village_visit(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Insert a visit; None when the unit already logged this village on that day."""
    return await insert_ignore_duplicate(
        session, VillageVisit, values, conflict_columns=("unit_id", "village_id", "visit_date")
    )


async def village_position(
    session: AsyncSession, village_id: int
) -> tuple[float | None, float | None]:
    """The village's recorded coordinates (both None when the roster has none)."""
    result = await session.execute(
        select(Village.latitude, Village.longitude).where(Village.id == village_id)
    )
    row = result.first()
    return (None, None) if row is None else (row[0], row[1])


async def village_visit_id_on(
    session: AsyncSession, unit_id: int, village_id: int, visit_date: date
) -> int | None:
    """The id of the unit's visit to the village on that day (there is at most one)."""
    result = await session.execute(
        select(VillageVisit.id).where(
            VillageVisit.unit_id == unit_id,
            VillageVisit.village_id == village_id,
            VillageVisit.visit_date == visit_date,
        )
    )
    return result.scalar_one_or_none()
