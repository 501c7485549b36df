"""/mystatus: what a person still owes today, composed from the other features' services."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, cast

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.deadlines import UnitRef
from domain.periods import Month, Quarter
from domain.status import (
    LedgerSeason,
    MyStatus,
    OwedLedger,
    VillageState,
    households_owed,
    ledger_season,
    milestones_owed,
)
from services.actors import Actor
from services.deadlines import unit_deadlines
from services.visits import VisitOutcome, VisitRequest, VisitRules, log_household_visit
from storage import households as household_repo
from storage.cadres import unit_of


class _VillageStatus(Protocol):
    """services.village_visits.unit_village_status, as agreed with the village feature."""

    def __call__(self, session: AsyncSession, unit_id: int, month: Month) -> Awaitable[Any]: ...


class _IncompleteLedgers(Protocol):
    """services.ledgers.incomplete_ledgers, as agreed with the ledger feature."""

    def __call__(
        self, session: AsyncSession, cadre_id: int, year: int, season_opens: date
    ) -> Awaitable[Any]: ...


def _feature(module: str, name: str) -> Any:
    """Another feature's service when that feature is installed, else None.

    The village and ledger features are built in parallel; /mystatus shows their sections
    as soon as their services exist, and leaves them out until then.
    """
    try:
        return getattr(importlib.import_module(module), name, None)
    except ModuleNotFoundError:
        return None


async def _villages(
    session: AsyncSession, unit_id: int, month: Month
) -> tuple[tuple[VillageState, ...], bool]:
    service = cast(
        _VillageStatus | None, _feature("services.village_visits", "unit_village_status")
    )
    if service is None:
        return (), False
    rows: Sequence[Any] = await service(session, unit_id, month)
    return (
        tuple(VillageState(r.village_id, r.village_code, r.village_name, r.covered) for r in rows),
        True,
    )


async def _ledgers(
    session: AsyncSession, cadre_id: int, today: date, opens: tuple[int, int] | None
) -> tuple[LedgerSeason | None, tuple[OwedLedger, ...]]:
    service = cast(_IncompleteLedgers | None, _feature("services.ledgers", "incomplete_ledgers"))
    if service is None or opens is None:
        return None, ()
    season = ledger_season(today, opens)
    rows: Sequence[Any] = await service(session, cadre_id, season.year, season.opens)
    return season, tuple(
        OwedLedger(r.household_id, r.household_code, r.head_name, tuple(r.missing)) for r in rows
    )


@dataclass(frozen=True)
class StatusAfterVisit:
    """The visit just logged from the status list, and the status as it is now."""

    visit: VisitOutcome
    status: MyStatus


async def my_status(
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    rules: VisitRules,
    locale: str,
    ledger_opens: tuple[int, int] | None = None,
) -> MyStatus:
    """Households not visited this quarter, the unit's village this month, incomplete
    ledgers in their season and the unit's milestones due soon."""
    today = local_today(clock, rules.tz)
    quarter = Quarter.containing(today)
    month = Month.containing(today)
    async with session.begin():
        held = await household_repo.households_held_by(
            session, actor.cadre_id, quarter.first_day, quarter.last_day
        )
        unit = await unit_of(session, actor.unit_id)
        deadlines = await unit_deadlines(
            session, UnitRef(unit.id, unit.code, unit.name, unit.kind), today, locale
        )
    # The other features' services own their transactions, so they run after ours.
    villages, villages_known = await _villages(session, actor.unit_id, month)
    season, ledgers = await _ledgers(session, actor.cadre_id, today, ledger_opens)
    return MyStatus(
        today=today,
        quarter=quarter,
        month=month,
        households_total=len(held),
        households=households_owed(
            (h.id, h.code, h.head_name, h.village_name, h.last_visit, h.visited_in_period)
            for h in held
        ),
        villages=villages,
        villages_known=villages_known,
        ledger_season=season,
        ledgers=ledgers,
        milestones=milestones_owed(deadlines),
    )


async def visit_from_status(
    session: AsyncSession,
    actor: Actor,
    household_id: int,
    clock: Clock,
    rules: VisitRules,
    locale: str,
    ledger_opens: tuple[int, int] | None = None,
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
    status = await my_status(session, actor, clock, rules, locale, ledger_opens)
    return StatusAfterVisit(outcome, status)
