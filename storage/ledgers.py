"""Ledger queries: held households with their members and reviews, in a fixed number of queries.

Completeness is a domain rule applied in Python, so a report reads three result sets
(households, members, reviews) filtered the same way, never one query per household.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AidRecord,
    Cadre,
    Household,
    HouseholdVisit,
    LedgerChange,
    LedgerReview,
    Member,
    Pairing,
    Township,
    Unit,
    Village,
)


@dataclass(frozen=True)
class HeldLedgerHousehold:
    """A household and who holds it, with the unit and township the reports group by."""

    household_id: int
    household_code: str
    head_name: str
    village_name: str
    cadre_id: int
    cadre_code: str
    cadre_name: str
    unit_id: int
    unit_code: str
    unit_name: str
    township_code: str
    township_name: str


@dataclass(frozen=True)
class MemberRow:
    id: int
    household_id: int
    name: str
    sex: str | None
    birth_date: date | None
    stage: str | None
    school: str | None
    grade: str | None
    status: str | None
    destination: str | None


@dataclass(frozen=True)
class ReviewRow:
    household_id: int
    needs: str | None
    reviewed_at: datetime | None
    reviewer_name: str | None


@dataclass(frozen=True)
class AidRow:
    id: int
    kind: str
    amount: float | None
    note: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class VisitRow:
    visit_date: date
    note: str | None


_Ts = TypeVarTuple("_Ts")


def _held(
    statement: Select[*_Ts],
    *,
    held_at: datetime | None,
    unit_id: int | None,
    cadre_id: int | None,
    household_id: int | None,
    household_column: Any,
    any_holder: bool = False,
) -> Select[*_Ts]:
    """Restrict a statement to households held at `held_at` (None: held now, open pairings).

    `any_holder` (with a household id) skips the pairing: a supervisor's view of one household.
    """
    if any_holder and household_id is not None:
        return statement.where(household_column == household_id)
    held: ColumnElement[bool]
    if held_at is None:
        held = Pairing.until.is_(None)
    else:
        held = and_(Pairing.since <= held_at, or_(Pairing.until.is_(None), Pairing.until > held_at))
    statement = statement.join(Pairing, and_(Pairing.household_id == household_column, held))
    if unit_id is not None:
        statement = statement.join(Cadre, Cadre.id == Pairing.cadre_id).where(
            Cadre.unit_id == unit_id
        )
    if cadre_id is not None:
        statement = statement.where(Pairing.cadre_id == cadre_id)
    if household_id is not None:
        statement = statement.where(household_column == household_id)
    return statement


async def held_households(
    session: AsyncSession,
    *,
    held_at: datetime | None = None,
    unit_id: int | None = None,
    cadre_id: int | None = None,
    household_id: int | None = None,
) -> list[HeldLedgerHousehold]:
    """Households with their holder at `held_at` (None: now), ordered by household code."""
    statement = (
        select(
            Household.id,
            Household.code,
            Household.head_name,
            Village.name,
            Cadre.id,
            Cadre.code,
            Cadre.name,
            Unit.id,
            Unit.code,
            Unit.name,
            Township.code,
            Township.name,
        )
        .select_from(Household)
        .join(Village, Village.id == Household.village_id)
        .join(Township, Township.id == Village.township_id)
    )
    statement = _held(
        statement,
        held_at=held_at,
        unit_id=None,
        cadre_id=cadre_id,
        household_id=household_id,
        household_column=Household.id,
    )
    statement = statement.join(Cadre, Cadre.id == Pairing.cadre_id).join(
        Unit, Unit.id == Cadre.unit_id
    )
    if unit_id is not None:
        statement = statement.where(Cadre.unit_id == unit_id)
    rows: list[Any] = list((await session.execute(statement.order_by(Household.code))).all())
    return [HeldLedgerHousehold(*row) for row in rows]


async def members_of_held(
    session: AsyncSession,
    *,
    held_at: datetime | None = None,
    unit_id: int | None = None,
    cadre_id: int | None = None,
    household_id: int | None = None,
    any_holder: bool = False,
) -> list[MemberRow]:
    """Every member of the same households as `held_households`, in one query."""
    statement = select(
        Member.id,
        Member.household_id,
        Member.name,
        Member.sex,
        Member.birth_date,
        Member.stage,
        Member.school,
        Member.grade,
        Member.status,
        Member.destination,
    ).select_from(Member)
    statement = _held(
        statement,
        held_at=held_at,
        unit_id=unit_id,
        cadre_id=cadre_id,
        household_id=household_id,
        household_column=Member.household_id,
        any_holder=any_holder,
    )
    rows: list[Any] = list(
        (await session.execute(statement.order_by(Member.household_id, Member.id))).all()
    )
    return [MemberRow(*row) for row in rows]


async def reviews_of_held(
    session: AsyncSession,
    year: int,
    *,
    held_at: datetime | None = None,
    unit_id: int | None = None,
    cadre_id: int | None = None,
    household_id: int | None = None,
    any_holder: bool = False,
) -> list[ReviewRow]:
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
    statement = _held(
        statement,
        held_at=held_at,
        unit_id=unit_id,
        cadre_id=cadre_id,
        household_id=household_id,
        household_column=LedgerReview.household_id,
        any_holder=any_holder,
    )
    rows = (await session.execute(statement)).all()
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
        select(
            AidRecord.id, AidRecord.kind, AidRecord.amount, AidRecord.note, AidRecord.recorded_at
        )
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
    statement = select(
        Member.id,
        Member.household_id,
        Member.name,
        Member.sex,
        Member.birth_date,
        Member.stage,
        Member.school,
        Member.grade,
        Member.status,
        Member.destination,
    ).where(Member.id == member_id)
    row: Any = (await session.execute(statement)).first()
    return None if row is None else MemberRow(*row)


async def update_member(session: AsyncSession, member_id: int, values: dict[str, Any]) -> None:
    await session.execute(update(Member).where(Member.id == member_id).values(**values))


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
    record = AidRecord(**values)
    session.add(record)
    await session.flush()
    return record.id


async def add_changes(session: AsyncSession, changes: list[dict[str, Any]]) -> None:
    """Append history rows (never updated, never deleted)."""
    session.add_all(LedgerChange(**change) for change in changes)
    await session.flush()
