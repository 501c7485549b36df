"""Logging household visits and listing a cadre's households."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.errors import InputRefused, PermissionRefused
from domain.geo import check_location
from domain.periods import Quarter
from domain.plan_rules import PlanRules
from domain.visits import check_visit_date, looks_like_date, parse_visit_date
from services.actors import Actor
from storage import evidence as evidence_repo
from storage import households as household_repo
from storage.evidence import NewPhoto
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
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    # Optional photos as (file_id, file_unique_id); never required.
    photos: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class VisitOutcome:
    household_code: str
    head_name: str
    visit_date: date
    created: bool
    quarter: Quarter
    distance_m: float | None = None
    # Photos new with this report (also on an already logged visit), for the evidence folder.
    new_photos: tuple[NewPhoto, ...] = ()
    visit_id: int | None = None
    located: bool = False


async def log_household_visit(
    session: AsyncSession, actor: Actor, request: VisitRequest, clock: Clock, rules: PlanRules
) -> VisitOutcome:
    """Record one visit; the same household on the same day is one visit, never two."""
    now = clock.now()
    today = local_today(clock, rules.tz)
    visit_date = request.visit_date or today
    check_visit_date(visit_date, today, rules.backdate_days)
    note = (request.note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise InputRefused("note_too_long", limit=MAX_NOTE_LENGTH)
    async with session.begin():
        household = await _find_household(session, request)
        if household.holder_cadre_id != actor.cadre_id:
            raise PermissionRefused("not_your_household", code=household.code)
        location = check_location(
            reported_location(request.latitude, request.longitude),
            request.accuracy_m,
            (household.latitude, household.longitude),
            rules.far_beyond_m,
        )
        visit_id = await household_repo.insert_visit(
            session,
            {
                "household_id": household.id,
                "cadre_id": actor.cadre_id,
                "visit_date": visit_date,
                "reported_at": now,
                "note": note,
                "latitude": request.latitude,
                "longitude": request.longitude,
                "accuracy_m": request.accuracy_m,
                "distance_m": location.distance_m,
                "far_from_place": location.far,
            },
        )
        new_photos: list[NewPhoto] = []
        target = visit_id
        if request.photos:
            # Photos of a visit already logged that day still join it (each photo once).
            target = target or await household_repo.visit_id_on(session, household.id, visit_date)
            if target is not None:
                new_photos = await evidence_repo.attach_photos(
                    session, "household", target, visit_date, request.photos, now
                )
    return VisitOutcome(
        household_code=household.code,
        head_name=household.head_name,
        visit_date=visit_date,
        created=visit_id is not None,
        quarter=Quarter.containing(visit_date),
        distance_m=location.distance_m,
        new_photos=tuple(new_photos),
        visit_id=target,
        located=visit_id is not None and request.latitude is not None,
    )


def reported_location(
    latitude: float | None, longitude: float | None
) -> tuple[float, float] | None:
    """Both coordinates or nothing: half a location is no location."""
    if latitude is None or longitude is None:
        return None
    return (latitude, longitude)


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
        code = request.household_code or str(request.household_id)
        raise PermissionRefused("not_your_household", code=code[:32])
    return household


async def check_my_household(
    session: AsyncSession, actor: Actor, household_id: int
) -> HouseholdHolder:
    """Re-check a button's household against the roster before offering the next step."""
    async with session.begin():
        household = await household_repo.household_with_holder(session, household_id=household_id)
    if household is None or household.holder_cadre_id != actor.cadre_id:
        raise PermissionRefused("not_your_household", code=household.code if household else "?")
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
    async with session.begin():
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
    async with session.begin():
        rows = await household_repo.households_held_by(
            session, actor.cadre_id, quarter.first_day, quarter.last_day
        )
    return MyHouseholds(quarter, today, rows)


def chosen_visit_date(days_ago: int, clock: Clock, rules: PlanRules) -> date:
    """Today or yesterday in the plan's time zone, as picked from a button."""
    visit_date = local_today(clock, rules.tz) - timedelta(days=days_ago)
    check_visit_date(visit_date, local_today(clock, rules.tz), rules.backdate_days)
    return visit_date


def typed_visit_date(text: str, clock: Clock, rules: PlanRules) -> date:
    """A date typed by the cadre, checked against the same rules as a one-line /visit."""
    visit_date = parse_visit_date(text)
    check_visit_date(visit_date, local_today(clock, rules.tz), rules.backdate_days)
    return visit_date


def parse_one_line(args: str) -> VisitRequest:
    """`CODE [YYYY-MM-DD] [note]`: the date is optional, the note is the rest of the line."""
    code, _, rest = args.strip().partition(" ")
    rest = rest.strip()
    first, _, tail = rest.partition(" ")
    if first and looks_like_date(first):
        return VisitRequest(household_code=code, visit_date=parse_visit_date(first), note=tail)
    return VisitRequest(household_code=code, note=rest)
