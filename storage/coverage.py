"""The coverage aggregate: assigned and covered households per cadre and township."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Cadre, Household, HouseholdVisit, Pairing, Township, Unit
from storage.places import (
    CADRE_TOWNSHIP,
    CadreTownship,
    held_at,
    visited_between,
    with_village_township,
)


@dataclass(frozen=True)
class CoverageCell(CadreTownship):
    """One (cadre, township) cell of the coverage table."""

    assigned: int
    covered: int


async def coverage_cells(
    session: AsyncSession,
    first_day: date,
    last_day: date,
    held_at_instant: datetime,
    *,
    unit_id: int | None = None,
    cadre_id: int | None = None,
) -> list[CoverageCell]:
    """One GROUP BY over pairings held at `held_at_instant` and visits dated in the period.

    A household counts for whoever holds it at the end of the period.
    """
    visited = visited_between(
        HouseholdVisit.visit_date, first_day, last_day, HouseholdVisit.household_id
    )
    statement = with_village_township(
        select(
            *CADRE_TOWNSHIP, func.count(Pairing.household_id), func.count(visited.c.household_id)
        )
        .select_from(Pairing)
        .join(Cadre, Cadre.id == Pairing.cadre_id)
        .join(Unit, Unit.id == Cadre.unit_id)
        .join(Household, Household.id == Pairing.household_id)
    )
    statement = (
        statement.outerjoin(visited, visited.c.household_id == Pairing.household_id)
        .where(held_at(held_at_instant))
        .group_by(*CADRE_TOWNSHIP)
    )
    if unit_id is not None:
        statement = statement.where(Cadre.unit_id == unit_id)
    if cadre_id is not None:
        statement = statement.where(Cadre.id == cadre_id)
    rows: list[Any] = list((await session.execute(statement)).all())
    return [CoverageCell(*row) for row in rows]


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
