"""Logging a pairing unit's monthly visit to its poor village, and its month coverage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.errors import InputRefused, PermissionRefused
from domain.geo import check_location
from domain.periods import Month
from domain.plan_rules import PlanRules
from domain.visits import check_visit_date, looks_like_date, parse_visit_date
from services.actors import Actor
from services.visits import MAX_NOTE_LENGTH, reported_location
from storage import evidence as evidence_repo
from storage import village_visits as repo
from storage.evidence import NewPhoto
from storage.village_visits import VillageCoverageRow

__all__ = [
    "VillageCoverageRow",
    "VillageMonthStatus",
    "VillageVisitOutcome",
    "VillageVisitRequest",
    "log_village_visit",
    "my_unit_village",
    "my_unit_villages",
    "parse_village_line",
    "unit_village_status",
    "village_coverage",
]

# Who went is a short list of names; what was discussed is a short note.
MAX_PARTICIPANTS_LENGTH = 300


@dataclass(frozen=True)
class VillageMonthStatus:
    """One village of a unit and whether the unit went there this month."""

    village_id: int
    village_code: str
    village_name: str
    covered: bool


@dataclass(frozen=True)
class VillageVisitRequest:
    """What a cadre reports for the unit; no village means the unit's only village."""

    village_id: int | None = None
    visit_date: date | None = None
    discussed: str | None = None
    participants: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    # Optional photos as (file_id, file_unique_id); never required.
    photos: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class VillageVisitOutcome:
    village_code: str
    village_name: str
    visit_date: date
    created: bool
    month: Month
    distance_m: float | None = None
    # Photos new with this report (also on an already logged visit), for the evidence folder.
    new_photos: tuple[NewPhoto, ...] = ()
    visit_id: int | None = None
    located: bool = False


def parse_village_line(args: str) -> VillageVisitRequest:
    """`[YYYY-MM-DD] [what was discussed]`."""
    first, _, rest = args.strip().partition(" ")
    if first and looks_like_date(first):
        return VillageVisitRequest(visit_date=parse_visit_date(first), discussed=rest.strip())
    return VillageVisitRequest(discussed=args.strip())


async def unit_village_status(
    session: AsyncSession, unit_id: int, month: Month
) -> list[VillageMonthStatus]:
    """The unit's paired villages and whether each was visited in the month."""
    async with session.begin():
        rows = await repo.village_coverage_rows(
            session, month.first_day, month.last_day, unit_id=unit_id
        )
    return [
        VillageMonthStatus(r.village_id, r.village_code, r.village_name, r.covered) for r in rows
    ]


async def village_coverage(
    session: AsyncSession, month: Month, *, unit_id: int | None = None
) -> list[VillageCoverageRow]:
    """Every pairing's coverage for the month (one unit's, or the county's)."""
    async with session.begin():
        return await repo.village_coverage_rows(
            session, month.first_day, month.last_day, unit_id=unit_id
        )


async def log_village_visit(
    session: AsyncSession,
    actor: Actor,
    request: VillageVisitRequest,
    clock: Clock,
    rules: PlanRules,
) -> VillageVisitOutcome:
    """Record the unit's visit; one per unit, village and day, whoever of the unit reports it."""
    now = clock.now()
    today = local_today(clock, rules.tz)
    visit_date = request.visit_date or today
    check_visit_date(visit_date, today, rules.backdate_days)
    discussed = _short_text(request.discussed, MAX_NOTE_LENGTH)
    participants = _short_text(request.participants, MAX_PARTICIPANTS_LENGTH)
    month = Month.containing(visit_date)
    async with session.begin():
        villages = await repo.village_coverage_rows(
            session, month.first_day, month.last_day, unit_id=actor.unit_id
        )
        if not villages:
            raise PermissionRefused("unit_not_paired")
        if request.village_id is None:
            if len(villages) > 1:
                raise InputRefused("several_villages")
            village = villages[0]
        else:
            matching = [v for v in villages if v.village_id == request.village_id]
            if not matching:
                raise PermissionRefused("not_your_village")
            village = matching[0]
        location = check_location(
            reported_location(request.latitude, request.longitude),
            request.accuracy_m,
            await repo.village_position(session, village.village_id),
            rules.far_beyond_m,
        )
        visit_id = await repo.insert_village_visit(
            session,
            {
                "unit_id": actor.unit_id,
                "village_id": village.village_id,
                "cadre_id": actor.cadre_id,
                "visit_date": visit_date,
                "reported_at": now,
                "participants": participants,
                "discussed": discussed,
                "latitude": request.latitude,
                "longitude": request.longitude,
                "accuracy_m": request.accuracy_m,
                "distance_m": location.distance_m,
                "far_from_place": location.far,
            },
        )
        target = visit_id
        new_photos: list[NewPhoto] = []
        if request.photos:
            # Photos of a visit already logged that day still join it (each photo once).
            target = target or await repo.village_visit_id_on(
                session, actor.unit_id, village.village_id, visit_date
            )
            if target is not None:
                new_photos = await evidence_repo.attach_photos(
                    session, "village", target, visit_date, request.photos, now
                )
    return VillageVisitOutcome(
        village.village_code,
        village.village_name,
        visit_date,
        visit_id is not None,
        month,
        distance_m=location.distance_m if visit_id is not None else None,
        new_photos=tuple(new_photos),
        visit_id=target,
        located=visit_id is not None and request.latitude is not None,
    )


def _short_text(text: str | None, limit: int) -> str | None:
    cleaned = (text or "").strip() or None
    if cleaned is not None and len(cleaned) > limit:
        raise InputRefused("note_too_long", limit=limit)
    return cleaned


async def my_unit_villages(
    session: AsyncSession, actor: Actor, clock: Clock, rules: PlanRules
) -> list[VillageMonthStatus]:
    """The actor's unit's villages with this month's coverage; refused for unpaired units."""
    month = Month.containing(local_today(clock, rules.tz))
    villages = await unit_village_status(session, actor.unit_id, month)
    if not villages:
        raise PermissionRefused("unit_not_paired")
    return villages


async def my_unit_village(
    session: AsyncSession, actor: Actor, village_id: int, clock: Clock, rules: PlanRules
) -> VillageMonthStatus:
    """Re-check a button's village against the actor's unit."""
    for village in await my_unit_villages(session, actor, clock, rules):
        if village.village_id == village_id:
            return village
    raise PermissionRefused("not_your_village")
