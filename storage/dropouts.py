"""Dropout cases and their events: reads and writes, nothing decided here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    Cadre,
    DropoutCase,
    DropoutEvent,
    Household,
    Member,
    Pairing,
    Unit,
    Village,
)
from storage.upsert import insert_ignore_duplicate, insert_row


@dataclass(frozen=True)
class ChildRow:
    id: int
    name: str
    birth_date: date | None
    status: str | None


@dataclass(frozen=True)
class CaseRow:
    """A case with the names people read (child, household, village, school, reporter)."""

    id: int
    member_id: int
    child_name: str
    household_id: int
    household_code: str
    head_name: str
    village_name: str
    school_unit_id: int | None
    school_name: str | None
    reporter_id: int
    reporter_name: str
    reason: str
    since: date
    state: str
    closing: str | None
    reported_at: datetime
    acknowledged_at: datetime | None
    confirmed_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True)
class EventRow:
    kind: str
    actor_name: str
    at: datetime
    on_date: date | None
    note: str | None


@dataclass(frozen=True)
class Account:
    """Where to tell a cadre: their Telegram chat and language."""

    cadre_id: int
    telegram_user_id: int
    locale: str | None


async def held_households(session: AsyncSession, cadre_id: int) -> list[tuple[int, str, str]]:
    """(id, code, head name) of the cadre's open pairings, by code."""
    statement = (
        select(Household.id, Household.code, Household.head_name)
        .join(Pairing, and_(Pairing.household_id == Household.id, Pairing.until.is_(None)))
        .where(Pairing.cadre_id == cadre_id)
        .order_by(Household.code)
    )
    return [(r[0], r[1], r[2]) for r in (await session.execute(statement)).all()]


async def children_of(session: AsyncSession, household_id: int) -> list[ChildRow]:
    statement = (
        select(Member.id, Member.name, Member.birth_date, Member.status)
        .where(Member.household_id == household_id)
        .order_by(Member.birth_date.desc(), Member.id)
    )
    return [ChildRow(*row) for row in (await session.execute(statement)).all()]


async def member_row(session: AsyncSession, member_id: int) -> tuple[int, str, str | None] | None:
    """(household id, name, status) of a member."""
    statement = select(Member.household_id, Member.name, Member.status).where(
        Member.id == member_id
    )
    row = (await session.execute(statement)).first()
    return None if row is None else (row[0], row[1], row[2])


async def member_by_name(session: AsyncSession, household_id: int, name: str) -> int | None:
    statement = select(Member.id).where(Member.household_id == household_id, Member.name == name)
    found: int | None = (await session.execute(statement)).scalar_one_or_none()
    return found


async def add_member(
    session: AsyncSession, household_id: int, name: str, birth_date: date | None
) -> int:
    """The member named so in the household, added when missing (name unique per household)."""
    values = {"household_id": household_id, "name": name, "birth_date": birth_date}
    inserted = await insert_ignore_duplicate(session, Member, values, ("household_id", "name"))
    if inserted is not None:
        return inserted
    existing = await member_by_name(session, household_id, name)
    assert existing is not None
    return existing


async def central_school_of(session: AsyncSession, household_id: int) -> int | None:
    """The central school of the household's township (the lowest id if several)."""
    statement = (
        select(Unit.id)
        .join(Village, Village.township_id == Unit.township_id)
        .join(Household, Household.village_id == Village.id)
        .where(Household.id == household_id, Unit.kind == "central_school")
        .order_by(Unit.id)
        .limit(1)
    )
    found: int | None = (await session.execute(statement)).scalar_one_or_none()
    return found


async def open_case_of(session: AsyncSession, member_id: int) -> int | None:
    statement = select(DropoutCase.id).where(
        DropoutCase.member_id == member_id, DropoutCase.closed_at.is_(None)
    )
    found: int | None = (await session.execute(statement)).scalar_one_or_none()
    return found


async def add_case(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Open a case; None when the child already has an open one (the partial index says so)."""
    try:
        async with session.begin_nested():
            case = DropoutCase(**values)
            session.add(case)
            await session.flush()
    except IntegrityError:
        return None
    return case.id


async def case_of_source(session: AsyncSession, source: str) -> int | None:
    """The case an update already changed (a redelivered update)."""
    statement = select(DropoutEvent.case_id).where(DropoutEvent.source == source)
    found: int | None = (await session.execute(statement)).scalar_one_or_none()
    return found


async def add_event(session: AsyncSession, values: dict[str, Any]) -> int:
    """The new event's id (it keys the notifications that tell of it)."""
    return await insert_row(session, DropoutEvent, values)


async def move_case(
    session: AsyncSession, case_id: int, from_state: str, values: dict[str, Any]
) -> bool:
    """Change a case only if it is still in `from_state` (two people pressing at once)."""
    result = await session.execute(
        update(DropoutCase)
        .where(DropoutCase.id == case_id, DropoutCase.state == from_state)
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _cases() -> Any:
    school = aliased(Unit)
    return (
        select(
            DropoutCase.id,
            DropoutCase.member_id,
            Member.name,
            Household.id,
            Household.code,
            Household.head_name,
            Village.name,
            DropoutCase.school_unit_id,
            school.name,
            DropoutCase.reporter_id,
            Cadre.name,
            DropoutCase.reason,
            DropoutCase.since,
            DropoutCase.state,
            DropoutCase.closing,
            DropoutCase.reported_at,
            DropoutCase.acknowledged_at,
            DropoutCase.confirmed_at,
            DropoutCase.closed_at,
        )
        .join(Member, Member.id == DropoutCase.member_id)
        .join(Household, Household.id == DropoutCase.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(Cadre, Cadre.id == DropoutCase.reporter_id)
        .outerjoin(school, school.id == DropoutCase.school_unit_id)
    )


async def case_by_id(session: AsyncSession, case_id: int) -> CaseRow | None:
    row = (await session.execute(_cases().where(DropoutCase.id == case_id))).first()
    return None if row is None else CaseRow(*row)


async def cases_for(
    session: AsyncSession,
    *,
    reporter_id: int | None = None,
    school_unit_id: int | None = None,
    everything: bool = False,
    open_only: bool = False,
) -> list[CaseRow]:
    """Cases a person may see: reported by them, of their school, or all (supervisors)."""
    statement = _cases()
    if not everything:
        clauses = []
        if reporter_id is not None:
            clauses.append(DropoutCase.reporter_id == reporter_id)
        if school_unit_id is not None:
            clauses.append(DropoutCase.school_unit_id == school_unit_id)
        if not clauses:
            return []
        statement = statement.where(or_(*clauses))
    if open_only:
        statement = statement.where(DropoutCase.closed_at.is_(None))
    statement = statement.order_by(DropoutCase.reported_at, DropoutCase.id)
    return [CaseRow(*row) for row in (await session.execute(statement)).all()]


async def events_of(session: AsyncSession, case_id: int) -> list[EventRow]:
    statement = (
        select(
            DropoutEvent.kind,
            Cadre.name,
            DropoutEvent.at,
            DropoutEvent.on_date,
            DropoutEvent.note,
        )
        .join(Cadre, Cadre.id == DropoutEvent.actor_id)
        .where(DropoutEvent.case_id == case_id)
        .order_by(DropoutEvent.id)
    )
    return [EventRow(*row) for row in (await session.execute(statement)).all()]


async def school_accounts(session: AsyncSession, unit_id: int) -> list[Account]:
    """The school's unit head and cadres who can be reached on Telegram."""
    statement = (
        select(Cadre.id, Cadre.telegram_user_id, Cadre.locale)
        .where(
            Cadre.unit_id == unit_id,
            Cadre.active.is_(True),
            Cadre.telegram_user_id.is_not(None),
            Cadre.role.in_(("cadre", "unit_head")),
        )
        .order_by(Cadre.id)
    )
    return [Account(r[0], int(r[1] or 0), r[2]) for r in (await session.execute(statement)).all()]


async def account_of(session: AsyncSession, cadre_id: int) -> Account | None:
    statement = select(Cadre.id, Cadre.telegram_user_id, Cadre.locale).where(
        Cadre.id == cadre_id, Cadre.telegram_user_id.is_not(None)
    )
    row = (await session.execute(statement)).first()
    return None if row is None else Account(row[0], int(row[1] or 0), row[2])


async def case_times_open_at(
    session: AsyncSession, instant: datetime
) -> list[tuple[datetime, datetime | None, datetime | None]]:
    """(reported, acknowledged, confirmed) times of the cases open at `instant`: reported by
    then and not closed by then (for figures as of a past day)."""
    statement = select(
        DropoutCase.reported_at, DropoutCase.acknowledged_at, DropoutCase.confirmed_at
    ).where(
        DropoutCase.reported_at <= instant,
        or_(DropoutCase.closed_at.is_(None), DropoutCase.closed_at > instant),
    )
    return [(r[0], r[1], r[2]) for r in (await session.execute(statement)).all()]


async def reported_between(session: AsyncSession, start: datetime, end: datetime) -> int:
    """Cases reported in [start, end)."""
    statement = select(func.count(DropoutCase.id)).where(
        DropoutCase.reported_at >= start, DropoutCase.reported_at < end
    )
    return int((await session.execute(statement)).scalar_one())


async def closed_between(session: AsyncSession, start: datetime, end: datetime) -> int:
    statement = select(func.count(DropoutCase.id)).where(
        DropoutCase.closed_at >= start, DropoutCase.closed_at < end
    )
    return int((await session.execute(statement)).scalar_one())
