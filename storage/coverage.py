"""The coverage aggregate: assigned and covered households per cadre and township."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Cadre, Household, HouseholdVisit, Pairing, Township, Unit, Village


@dataclass(frozen=True)
class CoverageCell:
    """One (cadre, township) cell of the coverage table."""

    cadre_id: int
    cadre_code: str
    cadre_name: str
    unit_id: int
    unit_code: str
    unit_name: str
    township_code: str
    township_name: str
    assigned: int
    covered: int


async def coverage_cells(
    session: AsyncSession,
    first_day: date,
    last_day: date,
    held_at: datetime,
    *,
    unit_id: int | None = None,
    cadre_id: int | None = None,
) -> list[CoverageCell]:
    """One GROUP BY over pairings held at `held_at` and visits dated in the period.

    A household counts for whoever holds it at the end of the period.
    """
    visited = (
        select(HouseholdVisit.household_id)
        .where(HouseholdVisit.visit_date.between(first_day, last_day))
        .distinct()
        .subquery()
    )
    statement = (
        select(
            Cadre.id,
            Cadre.code,
            Cadre.name,
            Unit.id,
            Unit.code,
            Unit.name,
            Township.code,
            Township.name,
            func.count(Pairing.household_id),
            func.count(visited.c.household_id),
        )
        .select_from(Pairing)
        .join(Cadre, Cadre.id == Pairing.cadre_id)
        .join(Unit, Unit.id == Cadre.unit_id)
        .join(Household, Household.id == Pairing.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(Township, Township.id == Village.township_id)
        .outerjoin(visited, visited.c.household_id == Pairing.household_id)
        .where(
            and_(
                Pairing.since <= held_at,
                or_(Pairing.until.is_(None), Pairing.until > held_at),
            )
        )
        .group_by(
            Cadre.id,
            Cadre.code,
            Cadre.name,
            Unit.id,
            Unit.code,
            Unit.name,
            Township.code,
            Township.name,
        )
    )
    if unit_id is not None:
        statement = statement.where(Cadre.unit_id == unit_id)
    if cadre_id is not None:
        statement = statement.where(Cadre.id == cadre_id)
    rows = (await session.execute(statement)).all()
    return [
        CoverageCell(
            cadre_id=row[0],
            cadre_code=row[1],
            cadre_name=row[2],
            unit_id=row[3],
            unit_code=row[4],
            unit_name=row[5],
            township_code=row[6],
            township_name=row[7],
            assigned=row[8],
            covered=row[9],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class FocusTarget:
    """A unit, township or cadre named by its roster code."""

    kind: str  # "unit" | "township" | "cadre"
    id: int
    code: str
    name: str
    unit_id: int | None  # the cadre's unit, or the unit itself


async def focus_target(session: AsyncSession, code: str) -> FocusTarget | None:
    """Find what a roster code names: units first, then townships, then cadres.

    Roster codes are unique within each table; the order only matters if an import reused
    one code in two tables, and then the unit wins.
    """
    unit = (await session.execute(select(Unit).where(Unit.code == code))).scalar_one_or_none()
    if unit is not None:
        return FocusTarget("unit", unit.id, unit.code, unit.name, unit.id)
    township = (
        await session.execute(select(Township).where(Township.code == code))
    ).scalar_one_or_none()
    if township is not None:
        return FocusTarget("township", township.id, township.code, township.name, None)
    cadre = (await session.execute(select(Cadre).where(Cadre.code == code))).scalar_one_or_none()
    if cadre is not None:
        return FocusTarget("cadre", cadre.id, cadre.code, cadre.name, cadre.unit_id)
    return None
