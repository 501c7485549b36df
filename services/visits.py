"""Logging household visits and listing a cadre's households."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.errors import InputRefused, PermissionRefused
from domain.periods import Quarter
from domain.plan_rules import PlanRules
from domain.visits import check_visit_date, looks_like_date, parse_visit_date
from services.actors import Actor
from services.evidence import Evidence, Recorded, record_visit
from services.transaction import unit_of_work
from storage import households as household_repo
from storage.households import HeldHousehold, HouseholdHolder

MAX_NOTE_LENGTH = 1000
# A household code as it can arrive in a deep link (Telegram allows 64 such characters).
DOOR_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True)
class VisitRequest:
    """What a cadre reports; `visit_date` None means today in the plan's time zone."""

    household_code: str | None = None
    household_id: int | None = None
    visit_date: date | None = None
    note: str | None = None
    evidence: Evidence = Evidence()


@dataclass(frozen=True)
class VisitOutcome:
    household_code: str
    head_name: str
    quarter: Quarter
    visit_date: date
    record: Recorded
    note: str | None = None  # as saved (trimmed), to echo back


async def log_household_visit(
    session: AsyncSession, actor: Actor, request: VisitRequest, clock: Clock, rules: PlanRules
) -> VisitOutcome:
    """Record one visit; the same household on the same day is one visit, never two."""
    visit_date = visit_day(request.visit_date, clock, rules)
    note = short_text(request.note, MAX_NOTE_LENGTH)
    async with unit_of_work(session):
        household = await _find_household(session, request)
        if household.holder_cadre_id != actor.cadre_id:
            raise _not_yours(request.household_code if request.household_id is None else None)
        record = await record_visit(
            session,
            "household",
            {
                "household_id": household.id,
                "cadre_id": actor.cadre_id,
                "visit_date": visit_date,
                "reported_at": clock.now(),
                "note": note,
            },
            request.evidence,
            (household.latitude, household.longitude),
            rules,
            insert=lambda values: household_repo.insert_visit(session, values),
            that_day=lambda: household_repo.visit_id_on(session, household.id, visit_date),
        )
    return VisitOutcome(
        household.code,
        household.head_name,
        Quarter.containing(visit_date),
        visit_date,
        record,
        note,
    )


def visit_day(requested: date | None, clock: Clock, rules: PlanRules) -> date:
    """The reported date (today when none), within the back-dating limit and not ahead."""
    today = local_today(clock, rules.tz)
    visit_date = requested or today
    check_visit_date(visit_date, today, rules.backdate_days)
    return visit_date


def short_text(text: str | None, limit: int) -> str | None:
    """A note or list of names, trimmed; empty is none, too long is refused."""
    cleaned = (text or "").strip() or None
    if cleaned is not None and len(cleaned) > limit:
        raise InputRefused("note_too_long", limit=limit)
    return cleaned


async def _find_household(session: AsyncSession, request: VisitRequest) -> HouseholdHolder:
    if request.household_id is not None:
        household = await household_repo.household_with_holder(
            session, household_id=request.household_id
        )
    elif request.household_code:
        household = await household_repo.household_with_holder(
            session, code=request.household_code.strip()
        )
    else:
        raise InputRefused("household_missing")
    if household is None:
        raise _not_yours(request.household_code if request.household_id is None else None)
    return household


def _not_yours(typed_code: str | None) -> PermissionRefused:
    """The same refusal whether the household exists or not: a typed code is only echoed, a
    button's id (forgeable) shows nothing, so no one learns another cadre's households."""
    if typed_code is None:
        return PermissionRefused("household_not_yours")
    return PermissionRefused("not_your_household", code=typed_code.strip()[:32])


async def check_my_household(
    session: AsyncSession, actor: Actor, household_id: int
) -> HouseholdHolder:
    """Re-check a button's household against the roster before offering the next step."""
    async with unit_of_work(session):
        household = await household_repo.household_with_holder(session, household_id=household_id)
    if household is None or household.holder_cadre_id != actor.cadre_id:
        raise _not_yours(None)
    return household


async def check_my_household_code(
    session: AsyncSession, actor: Actor, household_code: str
) -> HouseholdHolder:
    """A door code's household, only for the cadre who holds it.

    Anyone else hears the same refusal whether or not the code exists: nothing leaks.
    """
    if not DOOR_CODE.fullmatch(household_code):
        # Telegram's start payloads are [A-Za-z0-9_-]: anything else was typed, not scanned.
        raise PermissionRefused("not_your_household", code="?")
    async with unit_of_work(session):
        household = await household_repo.household_with_holder(session, code=household_code)
    if household is None or household.holder_cadre_id != actor.cadre_id:
        raise PermissionRefused("not_your_household", code=household_code)
    return household


@dataclass(frozen=True)
class MyHouseholds:
    quarter: Quarter
    today: date
    households: list[HeldHousehold]

    @property
    def not_covered_first(self) -> list[HeldHousehold]:
        return sorted(self.households, key=lambda h: (h.visited_in_period, h.code))

    @property
    def covered_count(self) -> int:
        return sum(1 for h in self.households if h.visited_in_period)


async def my_households(
    session: AsyncSession, actor: Actor, clock: Clock, tz: ZoneInfo
) -> MyHouseholds:
    """The cadre's households with last visit and this quarter's coverage."""
    today = local_today(clock, tz)
    quarter = Quarter.containing(today)
    async with unit_of_work(session):
        rows = await household_repo.households_held_by(
            session, actor.cadre_id, quarter.first_day, quarter.last_day
        )
    return MyHouseholds(quarter, today, rows)


def chosen_visit_date(days_ago: int, clock: Clock, rules: PlanRules) -> date:
    """Today or yesterday in the plan's time zone, as picked from a button."""
    return visit_day(local_today(clock, rules.tz) - timedelta(days=days_ago), clock, rules)


def typed_visit_date(text: str, clock: Clock, rules: PlanRules) -> date:
    """A date typed by the cadre (or 昨天 and the like), checked against the same rules as a
    one-line /visit."""
    today = local_today(clock, rules.tz)
    return visit_day(parse_visit_date(text, today), clock, rules)


def split_date(text: str, today: date) -> tuple[date | None, str]:
    """`[YYYY-MM-DD or 昨天…] rest`: the leading date if there is one, and the rest."""
    first, _, tail = text.strip().partition(" ")
    if first and looks_like_date(first):
        return parse_visit_date(first, today), tail.strip()
    return None, text.strip()


def parse_one_line(args: str, today: date) -> VisitRequest:
    """`CODE [YYYY-MM-DD|昨天] [note]`: the date is optional (a day word counts from `today`,
    the plan zone's), the note is the rest of the line; the code in any case."""
    code, _, rest = args.strip().partition(" ")
    visit_date, note = split_date(rest, today)
    return VisitRequest(household_code=code, visit_date=visit_date, note=note)
