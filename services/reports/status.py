"""/mystatus: what a person still owes today, composed from the other features' services."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.deadlines import UnitRef
from domain.periods import Month, Quarter
from domain.plan_rules import PlanRules
from domain.status import (
    MyStatus,
    households_owed,
    ledger_season,
    milestones_owed,
)
from services.actors import Actor
from services.reports.deadlines import unit_deadlines
from services.reports.ledgers import incomplete_ledgers
from services.transaction import unit_of_work
from services.village_visits import unit_village_status
from services.visits import VisitOutcome, VisitRequest, log_household_visit
from storage import households as household_repo
from storage.cadres import unit_of


@dataclass(frozen=True)
class StatusAfterVisit:
    """The visit just logged from the status list, and the status as it is now."""

    visit: VisitOutcome
    status: MyStatus


async def my_status(
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    rules: PlanRules,
    locale: str,
) -> MyStatus:
    """Households not visited this quarter, the unit's village this month, incomplete
    ledgers in their season and the unit's milestones due soon."""
    today = local_today(clock, rules.tz)
    quarter = Quarter.containing(today)
    month = Month.containing(today)
    async with unit_of_work(session):
        held = await household_repo.households_held_by(
            session, actor.cadre_id, quarter.first_day, quarter.last_day
        )
        unit = await unit_of(session, actor.unit_id)
        deadlines = await unit_deadlines(
            session, UnitRef(unit.id, unit.code, unit.name, unit.kind), today, locale
        )
    # The other features' services own their transactions, so they run after ours.
    villages = await unit_village_status(session, actor.unit_id, month)
    season = ledger_season(today, rules.ledger_season_opens)
    ledgers = await incomplete_ledgers(
        session, actor.cadre_id, season.year, season.opens, tz=rules.tz
    )
    return MyStatus(
        today=today,
        quarter=quarter,
        month=month,
        households_total=len(held),
        households=households_owed(
            (h.id, h.code, h.head_name, h.village_name, h.last_visit, h.visited_in_period)
            for h in held
        ),
        villages=tuple(villages),
        villages_known=True,
        ledger_season=season,
        ledgers=tuple(ledgers),
        milestones=milestones_owed(deadlines),
    )


async def visit_from_status(
    session: AsyncSession,
    actor: Actor,
    household_id: int,
    clock: Clock,
    rules: PlanRules,
    locale: str,
) -> StatusAfterVisit:
    """One tap on an owed household logs a visit dated today; the visit service re-checks
    that the household is still the actor's."""
    outcome = await log_household_visit(
        session,
        actor,
        VisitRequest(household_id=household_id, visit_date=local_today(clock, rules.tz)),
        clock,
        rules,
    )
    status = await my_status(session, actor, clock, rules, locale)
    return StatusAfterVisit(outcome, status)
