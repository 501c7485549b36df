"""Who still owes what, for many people and periods at once: one statement per question.

The sender re-checks a whole batch of reminders before sending; each query here answers for
every row of a rule at once, so the number of statements never grows with the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, exists, literal_column, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Household,
    HouseholdVisit,
    Milestone,
    MilestoneReport,
    Pairing,
    UnitVillage,
    VillageVisit,
)


class Period(Protocol):
    """A quarter or a month: anything with a first and a last day."""

    @property
    def first_day(self) -> date: ...

    @property
    def last_day(self) -> date: ...


P = TypeVar("P", bound=Period)


async def _owing_in_each(
    session: AsyncSession, periods: Sequence[P], owing: Callable[[date, date], Select[Any]]
) -> set[tuple[int, P]]:
    """(id, period) for each id `owing` finds in each period: one UNION ALL, a select a period."""
    if not periods:
        return set()
    parts = [
        owing(p.first_day, p.last_day).add_columns(literal_column(str(index)))
        for index, p in enumerate(periods)
    ]
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    rows = (await session.execute(statement)).all()
    return {(key, periods[index]) for key, index in rows}


def _household_unvisited(first_day: date, last_day: date) -> Any:
    return ~exists().where(
        HouseholdVisit.household_id == Pairing.household_id,
        HouseholdVisit.visit_date.between(first_day, last_day),
    )


async def cadres_with_unvisited(
    session: AsyncSession, cadre_ids: Collection[int], quarters: Sequence[P]
) -> set[tuple[int, P]]:
    """(cadre, quarter) where the cadre now holds a household with no visit in the quarter."""

    def owing(first_day: date, last_day: date) -> Select[Any]:
        return (
            select(Pairing.cadre_id)
            .where(
                Pairing.cadre_id.in_(list(cadre_ids)),
                Pairing.until.is_(None),
                _household_unvisited(first_day, last_day),
            )
            .distinct()
        )

    return await _owing_in_each(session, quarters, owing)


async def unvisited_households(
    session: AsyncSession, first_day: date, last_day: date
) -> dict[int, list[tuple[int, str, str]]]:
    """cadre id -> [(household id, code, head)] held now, not visited in the period."""
    rows = await session.execute(
        select(Pairing.cadre_id, Household.id, Household.code, Household.head_name)
        .join(Household, Household.id == Pairing.household_id)
        .where(Pairing.until.is_(None), _household_unvisited(first_day, last_day))
        .order_by(Pairing.cadre_id, Household.code)
    )
    owed: dict[int, list[tuple[int, str, str]]] = {}
    for cadre_id, household_id, code, head in rows.all():
        owed.setdefault(cadre_id, []).append((household_id, code, head))
    return owed


async def units_with_unvisited_village(
    session: AsyncSession, unit_ids: Collection[int], months: Sequence[P]
) -> set[tuple[int, P]]:
    """(unit, month) where one of the unit's paired villages had no visit of the unit."""

    def owing(first_day: date, last_day: date) -> Select[Any]:
        visited = exists().where(
            VillageVisit.unit_id == UnitVillage.unit_id,
            VillageVisit.village_id == UnitVillage.village_id,
            VillageVisit.visit_date.between(first_day, last_day),
        )
        return (
            select(UnitVillage.unit_id)
            .where(UnitVillage.unit_id.in_(list(unit_ids)), ~visited)
            .distinct()
        )

    return await _owing_in_each(session, months, owing)


async def units_reported(session: AsyncSession, months: Collection[str]) -> set[tuple[int, str]]:
    """(unit, month) for every unit that sent any progress report for one of the months."""
    rows = await session.execute(
        select(MilestoneReport.unit_id, MilestoneReport.month)
        .where(MilestoneReport.month.in_(list(months)))
        .distinct()
    )
    return {(unit_id, month) for unit_id, month in rows.all()}


async def milestone_due_dates(
    session: AsyncSession, milestone_ids: Collection[int]
) -> dict[int, date]:
    """milestone id -> its due date, for the ids that still exist."""
    rows = await session.execute(
        select(Milestone.id, Milestone.due_date).where(Milestone.id.in_(list(milestone_ids)))
    )
    return {milestone_id: due for milestone_id, due in rows.all()}
