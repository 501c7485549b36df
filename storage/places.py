"""Where a household is and who holds it: the joins and columns reports share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVarTuple

from sqlalchemy import ColumnElement, Select, Subquery, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import Cadre, Household, Pairing, Township, Unit, Village

# A household's village and township, as (code, name) pairs.
VILLAGE_TOWNSHIP = (Village.code, Village.name, Township.code, Township.name)
# A household by code and head, then its village and township: the columns of HouseholdPlace.
HOUSEHOLD_PLACE = (Household.code, Household.head_name, *VILLAGE_TOWNSHIP)
# The (cadre, township) cell a held household counts for, with the cadre's unit: the
# columns of CadreTownship.
CADRE_TOWNSHIP = (
    Cadre.id,
    Cadre.code,
    Cadre.name,
    Unit.id,
    Unit.code,
    Unit.name,
    Township.code,
    Township.name,
)
_Ts = TypeVarTuple("_Ts")


@dataclass(frozen=True)
class HouseholdPlace:
    """A household by code and head, with its village and township (codes and names)."""

    household_code: str
    head_name: str
    village_code: str
    village_name: str
    township_code: str
    township_name: str


@dataclass(frozen=True, slots=True)
class CadreTownship:
    """The (cadre, township) a held household counts for in reports, with the cadre's unit."""

    cadre_id: int
    cadre_code: str
    cadre_name: str
    unit_id: int
    unit_code: str
    unit_name: str
    township_code: str
    township_name: str


def with_village_township(statement: Select[*_Ts]) -> Select[*_Ts]:
    """Join a statement that reads households to their village and its township."""
    return statement.join(Village, Village.id == Household.village_id).join(
        Township, Township.id == Village.township_id
    )


def held_at(at: datetime) -> ColumnElement[bool]:
    """A pairing open at the instant `at` (started by then, not yet ended)."""
    return and_(Pairing.since <= at, or_(Pairing.until.is_(None), Pairing.until > at))


def visited_between(
    visit_date: InstrumentedAttribute[date],
    first_day: date,
    last_day: date,
    *keys: InstrumentedAttribute[int],
) -> Subquery:
    """Who had a visit dated in [first_day, last_day]: the distinct keys of those visits
    (a household; a unit and a village), to outer-join a period's coverage on."""
    return select(*keys).where(visit_date.between(first_day, last_day)).distinct().subquery()


async def central_school_townships(session: AsyncSession) -> list[tuple[str, str]]:
    """(code, name) of each township with a central school, by code."""
    rows = await session.execute(
        select(Township.code, Township.name)
        .where(Township.id.in_(select(Unit.township_id).where(Unit.kind == "central_school")))
        .order_by(Township.code)
    )
    return [(code, name) for code, name in rows.all()]
