"""Logging a pairing unit's monthly visit to its poor village, and its month coverage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.errors import InputRefused, PermissionRefused
from domain.periods import Month
from domain.plan_rules import PlanRules
from domain.status import VillageMonthStatus
from services.actors import Actor
from services.evidence import Evidence, Recorded, record_visit
from services.transaction import unit_of_work
from services.visits import MAX_NOTE_LENGTH, short_text, split_date, visit_day
from storage import village_visits as repo
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
class VillageVisitRequest:
    """What a cadre reports for the unit; no village means the unit's only village."""

    village_id: int | None = None
    visit_date: date | None = None
    discussed: str | None = None
    participants: str | None = None
    evidence: Evidence = Evidence()


@dataclass(frozen=True)
class VillageVisitOutcome:
    village_code: str
    village_name: str
    month: Month
    visit_date: date
    record: Recorded
    discussed: str | None = None  # as saved (trimmed), to echo back


def parse_village_line(args: str, today: date) -> VillageVisitRequest:
    """`[YYYY-MM-DD|昨天] [what was discussed]` (a day word counts from `today`)."""
    visit_date, discussed = split_date(args, today)
    return VillageVisitRequest(visit_date=visit_date, discussed=discussed)


async def unit_village_status(
    session: AsyncSession, unit_id: int, month: Month
) -> list[VillageMonthStatus]:
    """The unit's paired villages and whether each was visited in the month."""
    async with unit_of_work(session):
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
    async with unit_of_work(session):
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
    visit_date = visit_day(request.visit_date, clock, rules)
    discussed = short_text(request.discussed, MAX_NOTE_LENGTH)
    participants = short_text(request.participants, MAX_PARTICIPANTS_LENGTH)
    month = Month.containing(visit_date)
    async with unit_of_work(session):
        village = _reported_village(
            await repo.village_coverage_rows(
                session, month.first_day, month.last_day, unit_id=actor.unit_id
            ),
            request.village_id,
        )
        record = await record_visit(
            session,
            "village",
            {
                "unit_id": actor.unit_id,
                "village_id": village.village_id,
                "cadre_id": actor.cadre_id,
                "visit_date": visit_date,
                "reported_at": clock.now(),
                "participants": participants,
                "discussed": discussed,
            },
            request.evidence,
            await repo.village_position(session, village.village_id),
            rules,
            insert=lambda values: repo.insert_village_visit(session, values),
            that_day=lambda: repo.village_visit_id_on(
                session, actor.unit_id, village.village_id, visit_date
            ),
        )
    return VillageVisitOutcome(
        village.village_code, village.village_name, month, visit_date, record, discussed
    )


def _reported_village(
    villages: list[VillageCoverageRow], village_id: int | None
) -> VillageCoverageRow:
    """The unit's village the report names, or its only one; refused otherwise."""
    if not villages:
        raise PermissionRefused("unit_not_paired")
    if village_id is None:
        if len(villages) > 1:
            raise InputRefused("several_villages")
        return villages[0]
    for village in villages:
        if village.village_id == village_id:
            return village
    raise PermissionRefused("not_your_village")


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
