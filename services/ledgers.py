"""Household ledgers (台账): completion figures, a cadre's incomplete ledgers, view and edits.

Only the household's current holder (its open pairing) may view or edit its ledger;
supervisors may view. Every edit writes the current value (members, ledger_reviews,
aid_records) and appends a ledger_changes row with the old and new value, who and when.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.errors import InputRefused, PermissionRefused
from domain.ledgers import (
    AID_KINDS,
    DEFAULT_SEASON_OPENS,
    DESTINATIONS,
    EDITABLE_STATUSES,
    STAGES,
    LedgerFacts,
    MemberFacts,
    age_cutoff,
    age_on,
    check_birth_date,
    clean_needs,
    ledger_missing,
    ledger_year,
    of_compulsory_age,
    parse_aid,
    parse_school_grade,
    season_opening,
    season_start,
)
from domain.roles import Role
from domain.visits import parse_visit_date
from services.actors import Actor
from storage import households as household_repo
from storage import ledgers as repo
from storage.households import HouseholdHolder
from storage.ledgers import HeldLedgerHousehold, MemberRow, ReviewRow

# The settings' default zone; callers pass the configured one (plan_rules.tz).
PLAN_TZ = ZoneInfo("Asia/Shanghai")
LAST_VISITS_SHOWN = 3


@asynccontextmanager
async def _reading(session: AsyncSession) -> AsyncIterator[None]:
    """Own the transaction, unless the caller's service already opened one."""
    if session.in_transaction():
        yield
        return
    async with session.begin():
        yield


# ---- reports ----------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerCell:
    """One (cadre, township) cell: households held and how many have a complete ledger."""

    cadre_id: int
    cadre_code: str
    cadre_name: str
    unit_id: int
    unit_code: str
    unit_name: str
    township_code: str
    township_name: str
    households: int
    complete: int


@dataclass(frozen=True)
class IncompleteLedger:
    """A held household whose ledger is not complete; `missing` holds reason codes
    ("needs", "review", "status:<member name>", ...; see domain.ledgers)."""

    household_id: int
    household_code: str
    head_name: str
    missing: tuple[str, ...]


def _facts(members: list[MemberRow], review: ReviewRow | None) -> LedgerFacts:
    return LedgerFacts(
        members=tuple(
            MemberFacts(
                name=m.name,
                birth_date=m.birth_date,
                status=m.status,
                stage=m.stage,
                school=m.school,
                grade=m.grade,
                destination=m.destination,
            )
            for m in members
        ),
        needs=review.needs if review else None,
        reviewed_at=review.reviewed_at if review else None,
    )


async def _missing_by_household(
    session: AsyncSession,
    year: int,
    opens_at: datetime,
    *,
    held_at: datetime | None,
    unit_id: int | None = None,
    cadre_id: int | None = None,
    household_id: int | None = None,
) -> list[tuple[HeldLedgerHousehold, tuple[str, ...]]]:
    """Three queries (households, members, reviews), whatever the number of households."""
    filters: dict[str, Any] = {
        "held_at": held_at,
        "unit_id": unit_id,
        "cadre_id": cadre_id,
        "household_id": household_id,
    }
    households = await repo.held_households(session, **filters)
    members: dict[int, list[MemberRow]] = defaultdict(list)
    for member in await repo.members_of_held(session, **filters):
        members[member.household_id].append(member)
    reviews = {r.household_id: r for r in await repo.reviews_of_held(session, year, **filters)}
    return [
        (
            h,
            ledger_missing(
                _facts(members.get(h.household_id, []), reviews.get(h.household_id)),
                year,
                opens_at,
            ),
        )
        for h in households
    ]


async def ledger_completion(
    session: AsyncSession,
    year: int,
    season_opens: date,
    *,
    unit_id: int | None = None,
    cadre_id: int | None = None,
    held_at: datetime | None,
    tz: ZoneInfo = PLAN_TZ,
) -> list[LedgerCell]:
    """Complete ledgers of `year` per (cadre, township); a household counts for its holder
    at `held_at` (None: its holder now). `season_opens` is a local date in `tz`."""
    async with _reading(session):
        rows = await _missing_by_household(
            session,
            year,
            season_start(season_opens, tz),
            held_at=held_at,
            unit_id=unit_id,
            cadre_id=cadre_id,
        )
    cells: dict[tuple[int, str], list[Any]] = {}
    for household, missing in rows:
        key = (household.cadre_id, household.township_code)
        cell = cells.setdefault(
            key,
            [
                household.cadre_code,
                household.cadre_name,
                household.unit_id,
                household.unit_code,
                household.unit_name,
                household.township_name,
                0,
                0,
            ],
        )
        cell[6] += 1
        cell[7] += 0 if missing else 1
    return [
        LedgerCell(
            cadre_id=cadre,
            cadre_code=c[0],
            cadre_name=c[1],
            unit_id=c[2],
            unit_code=c[3],
            unit_name=c[4],
            township_code=township,
            township_name=c[5],
            households=c[6],
            complete=c[7],
        )
        for (cadre, township), c in sorted(cells.items(), key=lambda i: (i[1][0], i[0][1]))
    ]


async def incomplete_ledgers(
    session: AsyncSession,
    cadre_id: int,
    year: int,
    season_opens: date,
    *,
    tz: ZoneInfo = PLAN_TZ,
) -> list[IncompleteLedger]:
    """The cadre's currently held households whose ledger of `year` is incomplete, by code."""
    found = await incomplete_ledgers_by_cadre(session, year, season_opens, tz=tz, cadre_id=cadre_id)
    return found.get(cadre_id, [])


async def incomplete_ledgers_by_cadre(
    session: AsyncSession,
    year: int,
    season_opens: date,
    *,
    tz: ZoneInfo = PLAN_TZ,
    cadre_id: int | None = None,
) -> dict[int, list[IncompleteLedger]]:
    """Every holder's incomplete ledgers of `year` (or one holder's), three queries in all."""
    async with _reading(session):
        rows = await _missing_by_household(
            session, year, season_start(season_opens, tz), held_at=None, cadre_id=cadre_id
        )
    found: dict[int, list[IncompleteLedger]] = {}
    for h, missing in rows:
        if missing:
            found.setdefault(h.cadre_id, []).append(
                IncompleteLedger(h.household_id, h.household_code, h.head_name, missing)
            )
    return found


# ---- the /ledger flow ------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRules:
    """The settings ledgers depend on: the plan's zone and the season's opening day."""

    tz: ZoneInfo
    season_opens: tuple[int, int] = DEFAULT_SEASON_OPENS

    def year(self, clock: Clock) -> int:
        return ledger_year(local_today(clock, self.tz), self.season_opens)

    def opens(self, year: int) -> date:
        return season_opening(year, self.season_opens)


@dataclass(frozen=True)
class MemberLine:
    id: int
    name: str
    sex: str | None
    age: int | None
    school_age: bool
    status: str | None
    stage: str | None
    school: str | None
    grade: str | None
    destination: str | None
    birth_date: date | None


@dataclass(frozen=True)
class AidLine:
    kind: str
    amount: float | None
    note: str | None


@dataclass(frozen=True)
class LedgerView:
    """One household's ledger for one year, as its holder (or a supervisor) sees it."""

    household_id: int
    code: str
    head_name: str
    village_name: str
    year: int
    opens: date
    members: tuple[MemberLine, ...]
    aid: tuple[AidLine, ...]
    needs: str | None
    reviewed_on: date | None
    reviewer_name: str | None
    visits: tuple[tuple[date, str | None], ...]
    missing: tuple[str, ...]
    editable: bool

    @property
    def complete(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class LedgerListItem:
    household_id: int
    code: str
    head_name: str
    missing: tuple[str, ...]


@dataclass(frozen=True)
class MyLedgers:
    year: int
    opens: date
    items: tuple[LedgerListItem, ...]  # incomplete first, then by code

    @property
    def complete_count(self) -> int:
        return sum(1 for i in self.items if not i.missing)


@dataclass(frozen=True)
class MemberRef:
    """A member the actor may edit, with the household it belongs to."""

    id: int
    name: str
    household_id: int
    household_code: str
    status: str | None


async def my_ledgers(
    session: AsyncSession, actor: Actor, clock: Clock, rules: LedgerRules
) -> MyLedgers:
    """The actor's held households, incomplete ledgers first."""
    year = rules.year(clock)
    opens = rules.opens(year)
    async with _reading(session):
        rows = await _missing_by_household(
            session, year, season_start(opens, rules.tz), held_at=None, cadre_id=actor.cadre_id
        )
    items = sorted(
        (LedgerListItem(h.household_id, h.household_code, h.head_name, m) for h, m in rows),
        key=lambda i: (not i.missing, i.code),
    )
    return MyLedgers(year, opens, tuple(items))


def _may_view(actor: Actor, household: HouseholdHolder | None) -> bool:
    if household is None:
        return False
    return household.holder_cadre_id == actor.cadre_id or actor.role in (
        Role.SUPERVISOR,
        Role.ADMIN,
    )


async def _mine(session: AsyncSession, actor: Actor, household_id: int) -> HouseholdHolder:
    """The household, only for its current holder (re-checked on every button)."""
    household = await household_repo.household_with_holder(session, household_id=household_id)
    if household is None or household.holder_cadre_id != actor.cadre_id:
        raise PermissionRefused("not_your_household", code=household.code if household else "?")
    return household


async def _my_member(session: AsyncSession, actor: Actor, member_id: int) -> MemberRow:
    member = await repo.member_by_id(session, member_id)
    if member is None:
        raise InputRefused("stale_button")
    await _mine(session, actor, member.household_id)
    return member


async def ledger_view(
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    rules: LedgerRules,
    *,
    household_id: int | None = None,
    code: str | None = None,
) -> LedgerView:
    """The household's ledger of the current ledger year; holder or supervisor only."""
    async with _reading(session):
        return await _view(session, actor, clock, rules, household_id=household_id, code=code)


async def _view(
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    rules: LedgerRules,
    *,
    household_id: int | None = None,
    code: str | None = None,
) -> LedgerView:
    if household_id is not None:
        household = await household_repo.household_with_holder(session, household_id=household_id)
    else:
        household = await household_repo.household_with_holder(session, code=(code or "").strip())
    if household is None or not _may_view(actor, household):
        shown = household.code if household else (code or str(household_id))
        raise PermissionRefused("not_your_household", code=shown[:32])
    year = rules.year(clock)
    opens = rules.opens(year)
    # A supervisor may open a household nobody holds: read it without the pairing filter.
    members = await repo.members_of_held(session, household_id=household.id, any_holder=True)
    reviews = await repo.reviews_of_held(session, year, household_id=household.id, any_holder=True)
    review = reviews[0] if reviews else None
    aid = await repo.aid_of(session, household.id, year)
    visits = await repo.last_visits(session, household.id, LAST_VISITS_SHOWN)
    cutoff = age_cutoff(year)
    return LedgerView(
        household_id=household.id,
        code=household.code,
        head_name=household.head_name,
        village_name=await repo.village_name_of(session, household.id),
        year=year,
        opens=opens,
        members=tuple(
            MemberLine(
                id=m.id,
                name=m.name,
                sex=m.sex,
                age=age_on(m.birth_date, cutoff) if m.birth_date else None,
                school_age=bool(m.birth_date and of_compulsory_age(m.birth_date, year)),
                status=m.status,
                stage=m.stage,
                school=m.school,
                grade=m.grade,
                destination=m.destination,
                birth_date=m.birth_date,
            )
            for m in members
        ),
        aid=tuple(AidLine(a.kind, a.amount, a.note) for a in aid),
        needs=review.needs if review else None,
        reviewed_on=(
            review.reviewed_at.astimezone(rules.tz).date()
            if review and review.reviewed_at
            else None
        ),
        reviewer_name=review.reviewer_name if review else None,
        visits=tuple((v.visit_date, v.note) for v in visits),
        missing=ledger_missing(_facts(members, review), year, season_start(opens, rules.tz)),
        editable=household.holder_cadre_id == actor.cadre_id,
    )


async def member_for_edit(session: AsyncSession, actor: Actor, member_id: int) -> MemberRef:
    """Re-check a member button: the member's household must be the actor's."""
    async with _reading(session):
        member = await _my_member(session, actor, member_id)
        household = await _mine(session, actor, member.household_id)
    return MemberRef(member.id, member.name, household.id, household.code, member.status)


async def household_for_edit(
    session: AsyncSession, actor: Actor, household_id: int
) -> HouseholdHolder:
    """Re-check a household button before asking for the next answer."""
    async with _reading(session):
        return await _mine(session, actor, household_id)


def _change(
    actor: Actor,
    now: datetime,
    household_id: int,
    field: str,
    old: object,
    new: object,
    member_id: int | None = None,
) -> dict[str, Any]:
    return {
        "household_id": household_id,
        "member_id": member_id,
        "field": field,
        "old_value": None if old is None else str(old),
        "new_value": None if new is None else str(new),
        "changed_at": now,
        "changed_by": actor.cadre_id,
    }


async def _update_member(
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    member: MemberRow,
    values: dict[str, Any],
) -> None:
    """Write the changed columns and one history row per changed column."""
    now = clock.now()
    changed = {k: v for k, v in values.items() if getattr(member, k) != v}
    if not changed:
        return
    await repo.update_member(session, member.id, changed)
    await repo.add_changes(
        session,
        [
            _change(
                actor, now, member.household_id, field, getattr(member, field), value, member.id
            )
            for field, value in changed.items()
        ],
    )


async def set_member_status(
    session: AsyncSession,
    actor: Actor,
    member_id: int,
    status: str,
    clock: Clock,
    rules: LedgerRules,
    *,
    stage: str | None = None,
    school_grade: str | None = None,
    destination: str | None = None,
) -> LedgerView:
    """Set a member's schooling status; enrolled needs stage, school and grade, graduated a
    destination. A suspected dropout only sets the status (the case workflow comes later)."""
    if status not in EDITABLE_STATUSES:
        raise InputRefused("stale_button")
    values: dict[str, Any] = {"status": status}
    if status == "enrolled":
        if stage not in STAGES or school_grade is None:
            raise InputRefused("stale_button")
        school, grade = parse_school_grade(school_grade)
        values.update(stage=stage, school=school, grade=grade)
    elif status == "graduated":
        if destination not in DESTINATIONS:
            raise InputRefused("stale_button")
        values["destination"] = destination
    async with session.begin():
        member = await _my_member(session, actor, member_id)
        await _update_member(session, actor, clock, member, values)
    return await ledger_view(session, actor, clock, rules, household_id=member.household_id)


async def set_birth_date(
    session: AsyncSession,
    actor: Actor,
    member_id: int,
    text: str,
    clock: Clock,
    rules: LedgerRules,
) -> LedgerView:
    """A member's birth date, typed as YYYY-MM-DD."""
    birth = parse_visit_date(text)
    check_birth_date(birth, local_today(clock, rules.tz))
    async with session.begin():
        member = await _my_member(session, actor, member_id)
        await _update_member(session, actor, clock, member, {"birth_date": birth})
    return await ledger_view(session, actor, clock, rules, household_id=member.household_id)


async def set_needs(
    session: AsyncSession,
    actor: Actor,
    household_id: int,
    text: str,
    clock: Clock,
    rules: LedgerRules,
) -> LedgerView:
    """The household's needs for the ledger year ("无" when none)."""
    needs = clean_needs(text)
    year = rules.year(clock)
    async with session.begin():
        await _mine(session, actor, household_id)
        review = await repo.review_row(session, household_id, year)
        if review.needs != needs:
            await repo.add_changes(
                session, [_change(actor, clock.now(), household_id, "needs", review.needs, needs)]
            )
            review.needs = needs
    return await ledger_view(session, actor, clock, rules, household_id=household_id)


async def add_aid(
    session: AsyncSession,
    actor: Actor,
    household_id: int,
    kind: str,
    text: str,
    clock: Clock,
    rules: LedgerRules,
) -> LedgerView:
    """Aid received in the ledger year: a kind from the buttons, an amount (and note) typed."""
    if kind not in AID_KINDS:
        raise InputRefused("stale_button")
    amount, note = parse_aid(text)
    year = rules.year(clock)
    now = clock.now()
    async with session.begin():
        await _mine(session, actor, household_id)
        await repo.add_aid(
            session,
            {
                "household_id": household_id,
                "year": year,
                "kind": kind,
                "amount": float(amount),
                "note": note,
                "recorded_at": now,
                "recorded_by": actor.cadre_id,
            },
        )
        new = f"{kind} {amount}" + (f" {note}" if note else "")
        await repo.add_changes(session, [_change(actor, now, household_id, "aid", None, new)])
    return await ledger_view(session, actor, clock, rules, household_id=household_id)


async def confirm_review(
    session: AsyncSession,
    actor: Actor,
    household_id: int,
    clock: Clock,
    rules: LedgerRules,
) -> LedgerView:
    """The holder confirms the ledger as reviewed for the year; each confirmation is kept."""
    year = rules.year(clock)
    now = clock.now()
    async with session.begin():
        await _mine(session, actor, household_id)
        review = await repo.review_row(session, household_id, year)
        old = review.reviewed_at.isoformat() if review.reviewed_at else None
        review.reviewed_at = now
        review.reviewed_by = actor.cadre_id
        await repo.add_changes(
            session, [_change(actor, now, household_id, "reviewed_at", old, now.isoformat())]
        )
    return await ledger_view(session, actor, clock, rules, household_id=household_id)


def aid_amount_text(amount: float | None) -> str:
    """1500.0 -> "1500", 99.5 -> "99.5" (amounts are kept to the fen)."""
    if amount is None:
        return "-"
    text = f"{Decimal(str(amount)).quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
