"""Ledger queries: held households with their members and reviews, in a fixed number of queries.

Completeness is a domain rule applied in Python, so a report reads three result sets
(households, members, reviews) filtered the same way, never one query per household.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Row, Select, and_, case, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.ledgers import MemberFacts
from storage.models import (
    AidRecord,
    Cadre,
    Household,
    HouseholdVisit,
    LedgerChange,
    LedgerReview,
    Member,
    Pairing,
    Unit,
    Village,
)
from storage.places import CADRE_TOWNSHIP, CadreTownship, held_at, with_village_township
from storage.reminder_owing import WHITESPACE, member_incomplete
from storage.upsert import insert_row


@dataclass(frozen=True)
class HeldLedgerHousehold:
    """A household and the (cadre, township) it counts for."""

    household_id: int
    household_code: str
    head_name: str
    place: CadreTownship


@dataclass(frozen=True, kw_only=True)
class MemberRow(MemberFacts):
    """A member's row: the facts completeness reads, plus ids and sex."""

    id: int
    household_id: int
    sex: str | None


@dataclass(frozen=True)
class ReviewRow:
    household_id: int
    needs: str | None
    reviewed_at: datetime | None
    reviewer_name: str | None


@dataclass(frozen=True)
class AidRow:
    kind: str
    amount: float | None
    note: str | None


@dataclass(frozen=True)
class VisitRow:
    visit_date: date
    note: str | None


# What the ledger says of a member's schooling (the schooling report reads the same).
MEMBER_SCHOOLING = (
    Member.name,
    Member.sex,
    Member.birth_date,
    Member.stage,
    Member.school,
    Member.grade,
    Member.status,
)
_MEMBER = select(Member.id, Member.household_id, *MEMBER_SCHOOLING, Member.destination)


def _member(row: Row[*tuple[Any, ...]]) -> MemberRow:
    return MemberRow(**row._asdict())


_Ts = TypeVarTuple("_Ts")


@dataclass(frozen=True)
class Held:
    """Which households a ledger query reads: those held at `at` (None: now, open pairings),
    narrowed to one unit, cadre or household; `any_holder` (with a household) skips the
    pairing, for a supervisor's view of a household nobody may hold."""

    at: datetime | None = None
    unit_id: int | None = None
    cadre_id: int | None = None
    household_id: int | None = None
    any_holder: bool = False


def _held(statement: Select[*_Ts], held: Held, household_column: Any) -> Select[*_Ts]:
    """Restrict a statement to the households `held` names."""
    if held.household_id is not None:
        statement = statement.where(household_column == held.household_id)
        if held.any_holder:
            return statement
    pairing = Pairing.until.is_(None) if held.at is None else held_at(held.at)
    statement = statement.join(Pairing, and_(Pairing.household_id == household_column, pairing))
    if held.unit_id is not None:
        statement = statement.join(Cadre, Cadre.id == Pairing.cadre_id).where(
            Cadre.unit_id == held.unit_id
        )
    if held.cadre_id is not None:
        statement = statement.where(Pairing.cadre_id == held.cadre_id)
    return statement


async def held_households(session: AsyncSession, held: Held) -> list[HeldLedgerHousehold]:
    """Households with their holder at `held.at` (None: now), ordered by household code."""
    statement = with_village_township(
        select(Household.id, Household.code, Household.head_name, *CADRE_TOWNSHIP).select_from(
            Household
        )
    )
    # The cadre is joined here for its name, so the unit filter goes on that join.
    statement = _held(statement, replace(held, unit_id=None), Household.id)
    statement = statement.join(Cadre, Cadre.id == Pairing.cadre_id).join(
        Unit, Unit.id == Cadre.unit_id
    )
    if held.unit_id is not None:
        statement = statement.where(Cadre.unit_id == held.unit_id)
    rows = (await session.execute(statement.order_by(Household.code))).all()
    return [HeldLedgerHousehold(*row[:3], CadreTownship(*row[3:])) for row in rows]


@dataclass(frozen=True)
class LedgerYear:
    """Which ledgers a report counts: those of `year`, confirmed at or after `opens_at` (the
    season's first instant, domain.ledgers.season_start)."""

    year: int
    opens_at: datetime


def _review_confirmed(year: int, opens_at: datetime) -> list[ColumnElement[bool]]:
    """The year's review has needs written (not only blanks) and was confirmed this season."""
    return [
        LedgerReview.year == year,
        LedgerReview.reviewed_at >= opens_at,
        func.length(func.trim(LedgerReview.needs, WHITESPACE)) > 0,
    ]


def count_complete_ledgers(
    statement: Select[*_Ts], household_id: Any, ledgers: LedgerYear, *, few: bool
) -> Select[*tuple[Any, ...]]:
    """Add one column to a grouped statement over households: how many have a complete
    ledger (domain.ledgers.ledger_missing is empty), decided in the database.

    `few`: the statement reads a few households (one cadre's, one unit's); each is then
    looked up through the members' and reviews' household indexes. Otherwise the
    households short of something are read once as a set and outer-joined (hash joins).
    """
    year = ledgers.year
    if few:
        complete = and_(
            ~exists().where(Member.household_id == household_id, member_incomplete(year)),
            exists().where(
                LedgerReview.household_id == household_id,
                *_review_confirmed(year, ledgers.opens_at),
            ),
        )
        return statement.add_columns(func.count(case((complete, 1))).label("ledgers_complete"))
    short = select(Member.household_id).where(member_incomplete(year)).distinct().subquery()
    confirmed = (
        select(LedgerReview.household_id)
        .where(*_review_confirmed(year, ledgers.opens_at))
        .subquery()
    )
    joined = statement.outerjoin(short, short.c.household_id == household_id).outerjoin(
        confirmed, confirmed.c.household_id == household_id
    )
    complete = and_(short.c.household_id.is_(None), confirmed.c.household_id.is_not(None))
    return joined.add_columns(func.count(case((complete, 1))).label("ledgers_complete"))


async def ledger_cells(
    session: AsyncSession, ledgers: LedgerYear, held: Held
) -> list[tuple[CadreTownship, int, int]]:
    """Per (cadre, township): households held as `held` says and how many have a complete
    ledger; one grouped statement, ordered by cadre and township code."""
    statement = with_village_township(select(*CADRE_TOWNSHIP).select_from(Household))
    statement = _held(statement, replace(held, unit_id=None), Household.id)
    statement = statement.join(Cadre, Cadre.id == Pairing.cadre_id).join(
        Unit, Unit.id == Cadre.unit_id
    )
    if held.unit_id is not None:
        statement = statement.where(Cadre.unit_id == held.unit_id)
    few = held.unit_id is not None or held.cadre_id is not None or held.household_id is not None
    counted = count_complete_ledgers(
        statement.add_columns(func.count(Household.id)), Household.id, ledgers, few=few
    )
    rows = (await session.execute(counted.group_by(*CADRE_TOWNSHIP))).all()
    cells = [(CadreTownship(*row[:8]), int(row[8]), int(row[9])) for row in rows]
    return sorted(cells, key=lambda c: (c[0].cadre_code, c[0].township_code))


async def members_of_held(session: AsyncSession, held: Held) -> list[MemberRow]:
    """Every member of the same households as `held_households`, in one query."""
    statement = _held(_MEMBER, held, Member.household_id)
    rows = (await session.execute(statement.order_by(Member.household_id, Member.id))).all()
    return [_member(row) for row in rows]


async def reviews_of_held(session: AsyncSession, year: int, held: Held) -> list[ReviewRow]:
    """The year's ledger review (needs, when confirmed, by whom) of the same households."""
    reviewer = select(Cadre.id, Cadre.name).subquery()
    statement = (
        select(
            LedgerReview.household_id,
            LedgerReview.needs,
            LedgerReview.reviewed_at,
            reviewer.c.name,
        )
        .select_from(LedgerReview)
        .outerjoin(reviewer, reviewer.c.id == LedgerReview.reviewed_by)
        .where(LedgerReview.year == year)
    )
    rows = (await session.execute(_held(statement, held, LedgerReview.household_id))).all()
    return [ReviewRow(*row) for row in rows]


async def village_name_of(session: AsyncSession, household_id: int) -> str:
    statement = (
        select(Village.name)
        .join(Household, Household.village_id == Village.id)
        .where(Household.id == household_id)
    )
    return (await session.execute(statement)).scalar_one()


async def aid_of(session: AsyncSession, household_id: int, year: int) -> list[AidRow]:
    statement = (
        select(AidRecord.kind, AidRecord.amount, AidRecord.note)
        .where(AidRecord.household_id == household_id, AidRecord.year == year)
        .order_by(AidRecord.recorded_at, AidRecord.id)
    )
    return [AidRow(*row) for row in (await session.execute(statement)).all()]


async def last_visits(session: AsyncSession, household_id: int, limit: int) -> list[VisitRow]:
    statement = (
        select(HouseholdVisit.visit_date, HouseholdVisit.note)
        .where(HouseholdVisit.household_id == household_id)
        .order_by(HouseholdVisit.visit_date.desc())
        .limit(limit)
    )
    return [VisitRow(*row) for row in (await session.execute(statement)).all()]


async def member_by_id(session: AsyncSession, member_id: int) -> MemberRow | None:
    row = (await session.execute(_MEMBER.where(Member.id == member_id))).first()
    return None if row is None else _member(row)


async def update_member(session: AsyncSession, member_id: int, values: dict[str, Any]) -> None:
    await session.execute(update(Member).where(Member.id == member_id).values(**values))


async def change_member(
    session: AsyncSession,
    member: MemberRow,
    values: dict[str, Any],
    *,
    changed_at: datetime,
    changed_by: int,
) -> None:
    """Write the changed columns and one history row per changed column."""
    changed = {k: v for k, v in values.items() if getattr(member, k) != v}
    if not changed:
        return
    await update_member(session, member.id, changed)
    await add_changes(
        session,
        [
            change_row(
                member.household_id,
                field,
                getattr(member, field),
                value,
                changed_at=changed_at,
                changed_by=changed_by,
                member_id=member.id,
            )
            for field, value in changed.items()
        ],
    )


async def review_row(session: AsyncSession, household_id: int, year: int) -> LedgerReview:
    """The year's review row of the household, created empty when missing.

    Two writers creating it at once collide on the (household, year) unique key: one of
    them fails and writes nothing, so a duplicate is never kept.
    """
    review = (
        await session.execute(
            select(LedgerReview).where(
                LedgerReview.household_id == household_id, LedgerReview.year == year
            )
        )
    ).scalar_one_or_none()
    if review is None:
        review = LedgerReview(household_id=household_id, year=year)
        session.add(review)
        await session.flush()
    return review


async def add_aid(session: AsyncSession, values: dict[str, Any]) -> int:
    return await insert_row(session, AidRecord, values)


def change_row(
    household_id: int,
    field: str,
    old: object,
    new: object,
    *,
    changed_at: datetime,
    changed_by: int,
    member_id: int | None = None,
) -> dict[str, Any]:
    """One ledger_changes row: what changed from what to what, who and when."""
    return {
        "household_id": household_id,
        "member_id": member_id,
        "field": field,
        "old_value": None if old is None else str(old),
        "new_value": None if new is None else str(new),
        "changed_at": changed_at,
        "changed_by": changed_by,
    }


async def add_changes(session: AsyncSession, changes: list[dict[str, Any]]) -> None:
    """Append history rows (never updated, never deleted)."""
    session.add_all(LedgerChange(**change) for change in changes)
    await session.flush()
