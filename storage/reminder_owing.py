"""Who still owes what, for many people and periods at once: one statement per question.

The sender re-checks a whole batch of reminders before sending; each query here answers for
every row of a rule at once, so the number of statements never grows with the batch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.ledgers import COMPULSORY_AGES, STAGES_WITHOUT_GRADE, age_cutoff
from storage.models import (
    Cadre,
    Household,
    HouseholdVisit,
    LedgerReview,
    Member,
    Milestone,
    MilestoneReport,
    Pairing,
    UnitVillage,
    VillageVisit,
)
from storage.reminders import REACHABLE, RECIPIENT_COLUMNS, Recipient, recipient_of

# Rows fetched at a time when a rule streams what is owed.
STREAM_BATCH = 2000


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


# ---- what each reachable holder owes, one statement, streamed ------------------------------

# (household id, code, head's name)
OwedHousehold = tuple[int, str, str]


@dataclass(frozen=True)
class OwedHouseholds:
    """A reachable cadre, how many held households owe something, and the first of them by
    code (at most the `head` asked for)."""

    recipient: Recipient
    total: int
    first: tuple[OwedHousehold, ...]


async def owed_households_by_cadre(
    session: AsyncSession, owing: ColumnElement[bool], head: int
) -> AsyncIterator[OwedHouseholds]:
    """Each reachable cadre holding (open pairing) households for which `owing` holds, by
    cadre id: one statement, counted and cut to `head` households in the database, streamed.
    `owing` may refer to Pairing.household_id."""
    held = (
        select(
            *RECIPIENT_COLUMNS,
            Household.id.label("household_id"),
            Household.code.label("household_code"),
            Household.head_name.label("head_name"),
            func.row_number()
            .over(partition_by=Pairing.cadre_id, order_by=Household.code)
            .label("rank"),
            func.count().over(partition_by=Pairing.cadre_id).label("total"),
        )
        .select_from(Pairing)
        .join(Cadre, Cadre.id == Pairing.cadre_id)
        .join(Household, Household.id == Pairing.household_id)
        .where(Pairing.until.is_(None), *REACHABLE, owing)
        .subquery()
    )
    statement = select(held).where(held.c.rank <= head).order_by(held.c.id, held.c.rank)
    current: Recipient | None = None
    total = 0
    first: list[OwedHousehold] = []
    # The household's columns follow the recipient's (by position: a Row's names are slower).
    household, code, head_name = range(len(RECIPIENT_COLUMNS), len(RECIPIENT_COLUMNS) + 3)
    # Core rows (the statement names columns: the ORM's loading of them cost a tenth of a
    # province's preview), a batch at a time (row by row, each row was a trip into
    # SQLAlchemy's greenlet: a third).
    connection = await session.connection()
    result = await connection.stream(statement, execution_options={"yield_per": STREAM_BATCH})
    async for rows in result.partitions():
        for row in rows:
            if current is None or current.cadre_id != row[0]:
                if current is not None:
                    yield OwedHouseholds(current, total, tuple(first))
                current, total, first = recipient_of(row), int(row.total), []
            first.append((row[household], row[code], row[head_name]))
    if current is not None:
        yield OwedHouseholds(current, total, tuple(first))


def household_unvisited(first_day: date, last_day: date) -> ColumnElement[bool]:
    """The held household (Pairing.household_id) has no visit dated in the period."""
    result: ColumnElement[bool] = _household_unvisited(first_day, last_day)
    return result


# ---- ledger completeness in SQL (domain.ledgers.ledger_missing, row by row) -----------------

# What Python's str.strip() removes (every c with c.isspace(); a unit test checks it): a
# needs text of only these is blank.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def compulsory_births(year: int) -> tuple[date, date]:
    """Births (after, up to and including) of members aged 6-15 on September 1 of `year`
    (domain.ledgers.of_compulsory_age as a date range)."""
    cutoff = age_cutoff(year)
    youngest, oldest = COMPULSORY_AGES
    return (
        cutoff.replace(year=cutoff.year - oldest - 1),
        cutoff.replace(year=cutoff.year - youngest),
    )


def _blank(column: Any) -> ColumnElement[bool]:
    result: ColumnElement[bool] = func.coalesce(column, "") == ""
    return result


def member_incomplete(year: int) -> ColumnElement[bool]:
    """domain.ledgers.member_missing is not empty: the member's record lacks something."""
    after, until = compulsory_births(year)
    return or_(
        and_(
            Member.status.is_(None),
            or_(
                Member.birth_date.is_(None),
                and_(Member.birth_date > after, Member.birth_date <= until),
            ),
        ),
        and_(
            Member.status == "enrolled",
            or_(
                _blank(Member.stage),
                _blank(Member.school),
                and_(
                    _blank(Member.grade),
                    or_(Member.stage.is_(None), Member.stage.not_in(STAGES_WITHOUT_GRADE)),
                ),
            ),
        ),
        and_(Member.status == "graduated", _blank(Member.destination)),
    )


def ledger_incomplete(household_id: Any, year: int, opens_at: datetime) -> ColumnElement[bool]:
    """The household's ledger of `year` misses something (domain.ledgers.ledger_missing):
    a member's record, the needs, or a review confirmed since the season opened."""
    members_short = exists().where(Member.household_id == household_id, member_incomplete(year))
    reviewed = exists().where(
        LedgerReview.household_id == household_id,
        LedgerReview.year == year,
        LedgerReview.reviewed_at >= opens_at,
        func.length(func.trim(LedgerReview.needs, WHITESPACE)) > 0,
    )
    return or_(members_short, ~reviewed)


async def cadres_with_incomplete_ledgers(
    session: AsyncSession, cadre_ids: Collection[int], year: int, opens_at: datetime
) -> set[int]:
    """The cadres (of those given) now holding a household whose ledger of `year` is
    incomplete: one statement."""
    statement = (
        select(Pairing.cadre_id)
        .where(
            Pairing.cadre_id.in_(list(cadre_ids)),
            Pairing.until.is_(None),
            ledger_incomplete(Pairing.household_id, year, opens_at),
        )
        .distinct()
    )
    return set((await session.execute(statement)).scalars())
