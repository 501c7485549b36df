"""Households as their cadre sees them: who holds them, when they were last visited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.text import typed_code
from storage.models import Household, HouseholdVisit, Pairing, Village
from storage.places import visited_between
from storage.upsert import insert_ignore_duplicate


@dataclass(frozen=True)
class HeldHousehold:
    """A household with its current holder and visit facts for one period."""

    id: int
    code: str
    head_name: str
    village_name: str
    holder_cadre_id: int | None
    last_visit: date | None
    visited_in_period: bool


@dataclass(frozen=True)
class HouseholdHolder:
    """A household and the cadre holding it now (None when no open pairing)."""

    id: int
    code: str
    head_name: str
    holder_cadre_id: int | None
    latitude: float | None = None
    longitude: float | None = None


_HOLDER = select(
    Household.id,
    Household.code,
    Household.head_name,
    Pairing.cadre_id,
    Household.latitude,
    Household.longitude,
).outerjoin(Pairing, and_(Pairing.household_id == Household.id, Pairing.until.is_(None)))
_HOLDER_BY_ID = _HOLDER.where(Household.id == bindparam("household_id"))
_HOLDER_BY_CODE = _HOLDER.where(Household.code == bindparam("code"))


async def household_with_holder(
    session: AsyncSession, *, code: str | None = None, household_id: int | None = None
) -> HouseholdHolder | None:
    """One Core query on the hot path of every logged visit (statements built once)."""
    connection = await session.connection()
    if household_id is not None:
        result = await connection.execute(_HOLDER_BY_ID, {"household_id": household_id})
    else:
        # Typed codes in any case: h0601005 is H0601005 (the one place codes are looked up).
        result = await connection.execute(_HOLDER_BY_CODE, {"code": typed_code(code or "")})
    row = result.first()
    return None if row is None else HouseholdHolder(*row)


async def households_held_by(
    session: AsyncSession, cadre_id: int, period_start: date, period_end: date
) -> list[HeldHousehold]:
    """The cadre's open pairings with last visit and whether the period is covered; one query."""
    last_visit = (
        select(HouseholdVisit.household_id, func.max(HouseholdVisit.visit_date).label("last"))
        .group_by(HouseholdVisit.household_id)
        .subquery()
    )
    in_period = visited_between(
        HouseholdVisit.visit_date, period_start, period_end, HouseholdVisit.household_id
    )
    statement = (
        select(
            Household.id,
            Household.code,
            Household.head_name,
            Village.name,
            last_visit.c.last,
            in_period.c.household_id.is_not(None),
        )
        .join(Pairing, and_(Pairing.household_id == Household.id, Pairing.until.is_(None)))
        .join(Village, Village.id == Household.village_id)
        .outerjoin(last_visit, last_visit.c.household_id == Household.id)
        .outerjoin(in_period, in_period.c.household_id == Household.id)
        .where(Pairing.cadre_id == cadre_id)
        .order_by(Household.code)
    )
    rows = (await session.execute(statement)).all()
    return [
        HeldHousehold(
            id=row[0],
            code=row[1],
            head_name=row[2],
            village_name=row[3],
            holder_cadre_id=cadre_id,
            last_visit=row[4],
            visited_in_period=bool(row[5]),
        )
        for row in rows
    ]


async def insert_visit(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Insert a visit; None when that household already has a visit on that day."""
    return await insert_ignore_duplicate(
        session, HouseholdVisit, values, conflict_columns=("household_id", "visit_date")
    )


async def households_with_village(
    session: AsyncSession, village_code: str | None = None
) -> list[tuple[str, str, str]]:
    """(household code, head's name, village name) of every household, or one village's."""
    statement = (
        select(Household.code, Household.head_name, Village.name)
        .join(Village, Village.id == Household.village_id)
        .order_by(Household.code)
    )
    if village_code is not None:
        statement = statement.where(Village.code == village_code)
    return [(code, head, village) for code, head, village in (await session.execute(statement))]


async def visit_id_on(session: AsyncSession, household_id: int, visit_date: date) -> int | None:
    """The id of the household's visit on that day (there is at most one)."""
    result = await session.execute(
        select(HouseholdVisit.id).where(
            HouseholdVisit.household_id == household_id, HouseholdVisit.visit_date == visit_date
        )
    )
    return result.scalar_one_or_none()
