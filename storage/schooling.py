"""Read queries for schooling rates and the ministry's lists: children in poor villages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.schooling import ChildCount
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


# Rows fetched at a time when the lists are streamed.
STREAM_BATCH = 2000


def _children_between(
    after: date, until: date, township_id: int | None, statuses: tuple[str, ...] | None
) -> Select[*tuple[Any, ...]]:
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
    if statuses is not None:
        statement = statement.where(Member.status.in_(statuses))
    return statement


async def children_born_between(
    session: AsyncSession,
    after: date,
    until: date,
    township_id: int | None = None,
    statuses: tuple[str, ...] | None = None,
) -> list[ChildRow]:
    """One query: members born in (after, until] of households in poor villages (of the
    statuses given, else all), with the reason and start of each one's latest dropout case."""
    statement = _children_between(after, until, township_id, statuses)
    # Birth dates are never NULL here (filtered above), as ChildRow.birth_date says.
    rows: list[Any] = list((await session.execute(statement)).all())
    return [ChildRow(*row) for row in rows]


async def stream_children_born_between(
    session: AsyncSession, after: date, until: date
) -> AsyncIterator[ChildRow]:
    """`children_born_between` for the whole county, streamed in its order (township,
    village, household, birth): the lists of a province are never held whole."""
    statement = _children_between(after, until, None, None).execution_options(
        yield_per=STREAM_BATCH
    )
    result = await session.stream(statement)
    async for rows in result.partitions():  # a batch per trip into SQLAlchemy's greenlet
        for row in rows:
            yield ChildRow(*row)


async def children_counted(
    session: AsyncSession,
    births: dict[str, tuple[date, date]],
    township_id: int | None = None,
) -> list[ChildCount]:
    """Members of households in poor villages born in one of the stages' windows (after,
    until], counted in the database per village, stage and status: one query, one row per
    village, stage and status whatever the number of children."""
    stage = case(
        *(
            (and_(Member.birth_date > after, Member.birth_date <= until), name)
            for name, (after, until) in births.items()
        ),
        else_=None,
    ).label("stage")
    # Counted per village id first (integers hash fast), the names joined to the counts.
    counted = (
        select(Village.id.label("village_id"), stage, Member.status.label("status"), func.count())
        .select_from(Member)
        .join(Household, Household.id == Member.household_id)
        .join(Village, Village.id == Household.village_id)
        .where(
            Village.poor.is_(True),
            or_(*(and_(Member.birth_date > a, Member.birth_date <= u) for a, u in births.values())),
        )
        .group_by(Village.id, stage, Member.status)
    )
    if township_id is not None:
        counted = counted.where(Village.township_id == township_id)
    counts = counted.subquery()
    statement = (
        select(
            Township.code,
            Township.name,
            Village.code,
            Village.name,
            counts.c.stage,
            counts.c.status,
            counts.c.count,
        )
        .select_from(counts)
        .join(Village, Village.id == counts.c.village_id)
        .join(Township, Township.id == Village.township_id)
    )
    return [ChildCount(*row) for row in (await session.execute(statement)).all()]


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
