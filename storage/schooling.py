"""Read queries for schooling rates and the ministry's lists: children in poor villages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ledgers import MEMBER_SCHOOLING
from storage.models import DropoutCase, Household, Member, Township, Unit, Village
from storage.places import HOUSEHOLD_PLACE, HouseholdPlace, with_village_township


@dataclass(frozen=True)
class ChildRow(HouseholdPlace):
    """A member of a household in a poor village, born within the asked window."""

    member_id: int
    name: str
    sex: str | None
    birth_date: date
    stage: str | None
    school: str | None
    grade: str | None
    status: str | None
    # The child's latest dropout case, if any: its reason code and since when.
    case_reason: str | None = None
    case_since: date | None = None


@dataclass(frozen=True)
class UnitPlace:
    """A unit's kind and, for a central school, its township."""

    kind: str
    township_id: int | None
    township_code: str | None
    township_name: str | None


async def children_born_between(
    session: AsyncSession, after: date, until: date, township_id: int | None = None
) -> list[ChildRow]:
    """One query: members born in (after, until] of households in poor villages, with the
    reason and start of each one's latest dropout case."""
    latest_case = (
        select(DropoutCase.member_id, func.max(DropoutCase.id).label("case_id"))
        .group_by(DropoutCase.member_id)
        .subquery()
    )
    statement = with_village_township(
        select(
            *HOUSEHOLD_PLACE,
            Member.id,
            *MEMBER_SCHOOLING,
            DropoutCase.reason,
            DropoutCase.since,
        ).join(Household, Household.id == Member.household_id)
    )
    statement = (
        statement.outerjoin(latest_case, latest_case.c.member_id == Member.id)
        .outerjoin(DropoutCase, DropoutCase.id == latest_case.c.case_id)
        .where(
            Village.poor.is_(True),
            Member.birth_date.is_not(None),
            Member.birth_date > after,
            Member.birth_date <= until,
        )
        .order_by(Township.code, Village.code, Household.code, Member.birth_date, Member.id)
    )
    if township_id is not None:
        statement = statement.where(Village.township_id == township_id)
    # Birth dates are never NULL here (filtered above), as ChildRow.birth_date says.
    rows: list[Any] = list((await session.execute(statement)).all())
    return [ChildRow(*row) for row in rows]


async def unit_place(session: AsyncSession, unit_id: int) -> UnitPlace:
    """The acting unit's kind and township (one query)."""
    row = (
        await session.execute(
            select(Unit.kind, Unit.township_id, Township.code, Township.name)
            .outerjoin(Township, Township.id == Unit.township_id)
            .where(Unit.id == unit_id)
        )
    ).one()
    return UnitPlace(*row)
