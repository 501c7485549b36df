"""The /ledger use cases: one household's ledger, and its edits with who and when.

Only the household's current holder (its open pairing) may edit its ledger; supervisors may
view it, each view recorded in the export audit (services.audit). Every edit writes the
current value (members, ledger_reviews, aid_records) and appends a ledger_changes row with the
old and new value, who and when.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
    age_cutoff,
    age_on,
    check_birth_date,
    clean_needs,
    ledger_missing,
    of_compulsory_age,
    parse_aid,
    schooling_token,
    schooling_values,
    season_start,
)
from domain.plan_rules import PlanRules
from domain.roles import Role
from domain.status import LedgerSeason
from domain.visits import parse_visit_date
from services.actors import Actor
from services.audit import note_ledger_view
from services.reports.ledgers import current_season, ledger_facts
from services.transaction import unit_of_work
from storage import households as household_repo
from storage import ledgers as repo
from storage.households import HouseholdHolder
from storage.ledgers import AidRow, Held, MemberRow, VisitRow

LAST_VISITS_SHOWN = 3


@dataclass(frozen=True)
class MemberLine:
    """A member as the ledger shows them: the row, the age on September 1, of school age."""

    member: MemberRow
    age: int | None
    school_age: bool


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
    aid: tuple[AidRow, ...]
    needs: str | None
    reviewed_on: date | None
    reviewer_name: str | None
    visits: tuple[VisitRow, ...]
    missing: tuple[str, ...]
    editable: bool

    @property
    def complete(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class MemberRef:
    """A member the actor may edit, with the household it belongs to."""

    id: int
    name: str
    household_id: int
    household_code: str
    status: str | None
    destination: str | None = None
    # domain.ledgers.schooling_token of the record now: the menu's status buttons carry it.
    record: int = 0


@dataclass(frozen=True)
class Question:
    """A typed answer the flow waits for: which, on what, after which choice.

    `kind` is "school" (on a member, `choice` the stage), "birth" (on a member), "needs"
    (on a household) or "aid" (on a household, `choice` the aid kind).
    """

    kind: str
    target_id: int
    choice: str = ""


MEMBER_QUESTIONS = ("school", "birth")


@dataclass(frozen=True)
class _Edit:
    """Who edits, when, and the ledger year the edit belongs to."""

    actor: Actor
    at: datetime
    year: int


# A write inside the edit's transaction; it returns the household whose ledger changed.
_Write = Callable[[AsyncSession, _Edit], Awaitable[int]]


def _may_view(actor: Actor, household: HouseholdHolder) -> bool:
    return household.holder_cadre_id == actor.cadre_id or actor.role in (
        Role.SUPERVISOR,
        Role.ADMIN,
    )


async def _mine(session: AsyncSession, actor: Actor, household_id: int) -> HouseholdHolder:
    """The household, only for its current holder (re-checked on every button)."""
    household = await household_repo.household_with_holder(session, household_id=household_id)
    if household is None or household.holder_cadre_id != actor.cadre_id:
        raise PermissionRefused("household_not_yours")  # the same whether it exists or not
    return household


async def _my_member(session: AsyncSession, actor: Actor, member_id: int) -> MemberRow:
    member = await repo.member_by_id(session, member_id)
    if member is None:
        raise PermissionRefused("household_not_yours")  # as for someone else's member
    await _mine(session, actor, member.household_id)
    return member


async def ledger_view(
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    rules: PlanRules,
    *,
    household_id: int | None = None,
    code: str | None = None,
) -> LedgerView:
    """The household's ledger of the current ledger year; holder or supervisor only."""
    async with unit_of_work(session):
        household = await household_repo.household_with_holder(
            session, code=(code or "").strip(), household_id=household_id
        )
        if household is None or not _may_view(actor, household):
            # The same whether it exists or not: a typed code is echoed, an id shows nothing.
            if household_id is not None:
                raise PermissionRefused("household_not_yours")
            raise PermissionRefused("not_your_household", code=(code or "").strip()[:32])
        view = await _view(session, actor, rules.tz, household, current_season(clock, rules))
        await note_ledger_view(
            session,
            actor,
            clock.now(),
            holder_cadre_id=household.holder_cadre_id,
            household_code=view.code,
            members=len(view.members),
            year=view.year,
        )
        return view


async def _view(
    session: AsyncSession,
    actor: Actor,
    tz: ZoneInfo,
    household: HouseholdHolder,
    season: LedgerSeason,
) -> LedgerView:
    year = season.year
    # A supervisor may open a household nobody holds: read it without the pairing filter.
    held = Held(household_id=household.id, any_holder=True)
    members = await repo.members_of_held(session, held)
    reviews = await repo.reviews_of_held(session, year, held)
    review = reviews[0] if reviews else None
    reviewed_at = review.reviewed_at if review else None
    cutoff = age_cutoff(year)
    return LedgerView(
        household_id=household.id,
        code=household.code,
        head_name=household.head_name,
        village_name=await repo.village_name_of(session, household.id),
        year=year,
        opens=season.opens,
        members=tuple(
            MemberLine(
                m,
                age_on(m.birth_date, cutoff) if m.birth_date else None,
                bool(m.birth_date and of_compulsory_age(m.birth_date, year)),
            )
            for m in members
        ),
        aid=tuple(await repo.aid_of(session, household.id, year)),
        needs=review.needs if review else None,
        reviewed_on=reviewed_at.astimezone(tz).date() if reviewed_at else None,
        reviewer_name=review.reviewer_name if review else None,
        visits=tuple(await repo.last_visits(session, household.id, LAST_VISITS_SHOWN)),
        missing=ledger_missing(ledger_facts(members, review), year, season_start(season.opens, tz)),
        editable=household.holder_cadre_id == actor.cadre_id,
    )


async def member_for_edit(session: AsyncSession, actor: Actor, member_id: int) -> MemberRef:
    """Re-check a member button: the member's household must be the actor's."""
    async with unit_of_work(session):
        member = await _my_member(session, actor, member_id)
        household = await _mine(session, actor, member.household_id)
    return MemberRef(
        member.id,
        member.name,
        household.id,
        household.code,
        member.status,
        member.destination,
        schooling_token(member),
    )


async def open_question(session: AsyncSession, actor: Actor, question: Question) -> str:
    """Re-check the button that opens a question; what it asks about, by name (the member's,
    or the household's code)."""
    async with unit_of_work(session):
        if question.kind in MEMBER_QUESTIONS:
            return (await _my_member(session, actor, question.target_id)).name
        return (await _mine(session, actor, question.target_id)).code


async def household_for_edit(
    session: AsyncSession, actor: Actor, household_id: int
) -> HouseholdHolder:
    """Re-check a household button before asking for the next answer."""
    async with unit_of_work(session):
        return await _mine(session, actor, household_id)


async def _edit(
    session: AsyncSession, actor: Actor, clock: Clock, rules: PlanRules, write: _Write
) -> LedgerView:
    """Run one write in its own transaction, then read the refreshed ledger."""
    edit = _Edit(actor, clock.now(), current_season(clock, rules).year)
    async with unit_of_work(session):
        household_id = await write(session, edit)
    return await ledger_view(session, actor, clock, rules, household_id=household_id)


def _member_write(member_id: int, values: dict[str, Any], record: int | None = None) -> _Write:
    """Change the member's columns; with `record`, only if the schooling record is still the
    one the pressed button was shown for (else a stale button: nothing is written)."""

    async def write(session: AsyncSession, edit: _Edit) -> int:
        member = await _my_member(session, edit.actor, member_id)
        if record is not None and schooling_token(member) != record:
            raise InputRefused("stale_button")
        await repo.change_member(
            session, member, values, changed_at=edit.at, changed_by=edit.actor.cadre_id
        )
        return member.household_id

    return write


async def set_member_status(
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    rules: PlanRules,
    member_id: int,
    status: str,
    *,
    record: int,
    destination: str | None = None,
) -> LedgerView:
    """A schooling status from the buttons; graduated takes its destination (enrolled is a
    typed answer). A suspected dropout only sets the status (the dropout case is offered).
    `record` is the schooling token the buttons were shown for: a later change refuses."""
    values = schooling_values(status, destination=destination)
    return await _edit(session, actor, clock, rules, _member_write(member_id, values, record))


async def save_answer(
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    rules: PlanRules,
    question: Question,
    text: str,
) -> LedgerView:
    """A typed answer to the open question, checked before anything is written."""
    if question.kind == "school":
        values = schooling_values("enrolled", stage=question.choice, school_grade=text)
        write = _member_write(question.target_id, values)
    elif question.kind == "birth":
        today = local_today(clock, rules.tz)
        birth = parse_visit_date(text, today)
        check_birth_date(birth, today)
        write = _member_write(question.target_id, {"birth_date": birth})
    elif question.kind == "needs":
        write = _needs_write(question.target_id, clean_needs(text))
    elif question.kind == "aid" and question.choice in AID_KINDS:
        write = _aid_write(question.target_id, question.choice, *parse_aid(text))
    else:
        raise InputRefused("stale_button")
    return await _edit(session, actor, clock, rules, write)


def _needs_write(household_id: int, needs: str) -> _Write:
    """The household's needs for the ledger year ("无" when none)."""

    async def write(session: AsyncSession, edit: _Edit) -> int:
        await _mine(session, edit.actor, household_id)
        review = await repo.review_row(session, household_id, edit.year)
        if review.needs != needs:
            await _history(session, edit, household_id, "needs", review.needs, needs)
            review.needs = needs
        return household_id

    return write


def _aid_write(household_id: int, kind: str, amount: Decimal, note: str | None) -> _Write:
    """Aid received in the ledger year: a kind from the buttons, an amount (and note) typed."""

    async def write(session: AsyncSession, edit: _Edit) -> int:
        await _mine(session, edit.actor, household_id)
        await repo.add_aid(
            session,
            {
                "household_id": household_id,
                "year": edit.year,
                "kind": kind,
                "amount": float(amount),
                "note": note,
                "recorded_at": edit.at,
                "recorded_by": edit.actor.cadre_id,
            },
        )
        new = f"{kind} {amount}" + (f" {note}" if note else "")
        await _history(session, edit, household_id, "aid", None, new)
        return household_id

    return write


async def confirm_review(
    session: AsyncSession, actor: Actor, clock: Clock, rules: PlanRules, household_id: int
) -> LedgerView:
    """The holder confirms the ledger as reviewed for the year; each confirmation is kept."""

    async def write(session: AsyncSession, edit: _Edit) -> int:
        await _mine(session, edit.actor, household_id)
        review = await repo.review_row(session, household_id, edit.year)
        old = review.reviewed_at.isoformat() if review.reviewed_at else None
        review.reviewed_at = edit.at
        review.reviewed_by = edit.actor.cadre_id
        await _history(session, edit, household_id, "reviewed_at", old, edit.at.isoformat())
        return household_id

    return await _edit(session, actor, clock, rules, write)


async def _history(
    session: AsyncSession, edit: _Edit, household_id: int, field: str, old: object, new: object
) -> None:
    row = repo.change_row(
        household_id, field, old, new, changed_at=edit.at, changed_by=edit.actor.cadre_id
    )
    await repo.add_changes(session, [row])
