"""Ledger read models: completion per (cadre, township), incomplete ledgers, a cadre's list.

Completeness is the domain rule (domain.ledgers) applied to three result sets (households,
members, reviews), whatever the number of households.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.ledgers import LedgerFacts, ledger_missing, season_start
from domain.plan_rules import PlanRules
from domain.status import LedgerSeason, OwedLedger, ledger_season
from services.actors import Actor
from services.transaction import unit_of_work
from storage import ledgers as repo
from storage.coverage import CoverageCell
from storage.ledgers import Held, HeldLedgerHousehold, LedgerYear, MemberRow, ReviewRow
from storage.places import CadreTownship


@dataclass(frozen=True, slots=True)
class LedgerCell(CadreTownship):
    """One (cadre, township) cell: households held and how many have a complete ledger."""

    households: int
    complete: int


def ledger_cells_of(cells: Iterable[CoverageCell]) -> list[LedgerCell]:
    """The ledger cells counted along with coverage (coverage_cells with `ledgers`): the
    same held households, so a report needs one pass over them."""
    return [
        LedgerCell(
            cell.cadre_id,
            cell.cadre_code,
            cell.cadre_name,
            cell.unit_id,
            cell.unit_code,
            cell.unit_name,
            cell.township_code,
            cell.township_name,
            households=cell.assigned,
            complete=cell.ledgers_complete,
        )
        for cell in cells
    ]


@dataclass(frozen=True)
class MyLedgers:
    """The actor's held households for the season's year, incomplete first, then by code;
    an item missing nothing is complete."""

    year: int
    opens: date
    items: tuple[OwedLedger, ...]

    @property
    def complete_count(self) -> int:
        return sum(1 for i in self.items if not i.missing)


def current_season(clock: Clock, rules: PlanRules) -> LedgerSeason:
    """The ledger season being collected today, in the plan's zone."""
    return ledger_season(local_today(clock, rules.tz), rules.ledger_season_opens)


def ledger_facts(members: list[MemberRow], review: ReviewRow | None) -> LedgerFacts:
    """What completeness reads from a household's members and the year's review."""
    return LedgerFacts(
        members=tuple(members),
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
) -> list[tuple[HeldLedgerHousehold, tuple[str, ...]]]:
    """Three queries (households, members, reviews), whatever the number of households."""
    held = Held(at=held_at, unit_id=unit_id, cadre_id=cadre_id)
    members: dict[int, list[MemberRow]] = defaultdict(list)
    for member in await repo.members_of_held(session, held):
        members[member.household_id].append(member)
    reviews = {r.household_id: r for r in await repo.reviews_of_held(session, year, held)}
    return [
        (
            h,
            ledger_missing(
                ledger_facts(members[h.household_id], reviews.get(h.household_id)), year, opens_at
            ),
        )
        for h in await repo.held_households(session, held)
    ]


async def ledger_completion(
    session: AsyncSession,
    year: int,
    season_opens: date,
    *,
    held_at: datetime | None,
    tz: ZoneInfo,
    unit_id: int | None = None,
    cadre_id: int | None = None,
) -> list[LedgerCell]:
    """Complete ledgers of `year` per (cadre, township); a household counts for its holder
    at `held_at` (None: its holder now). `season_opens` is a local date in `tz`.

    One grouped statement: completeness is decided in the database (the same rule as
    domain.ledgers.ledger_missing), so no household is read into Python."""
    ledgers = LedgerYear(year, season_start(season_opens, tz))
    held = Held(at=held_at, unit_id=unit_id, cadre_id=cadre_id)
    async with unit_of_work(session):
        cells = await repo.ledger_cells(session, ledgers, held)
    return [
        LedgerCell(
            place.cadre_id,
            place.cadre_code,
            place.cadre_name,
            place.unit_id,
            place.unit_code,
            place.unit_name,
            place.township_code,
            place.township_name,
            households=households,
            complete=complete,
        )
        for place, households, complete in cells
    ]


async def incomplete_ledgers(
    session: AsyncSession, cadre_id: int, year: int, season_opens: date, *, tz: ZoneInfo
) -> list[OwedLedger]:
    """The cadre's currently held households whose ledger of `year` is incomplete, by code."""
    found = await incomplete_ledgers_by_cadre(session, year, season_opens, tz=tz, cadre_id=cadre_id)
    return found.get(cadre_id, [])


async def incomplete_ledgers_by_cadre(
    session: AsyncSession,
    year: int,
    season_opens: date,
    *,
    tz: ZoneInfo,
    cadre_id: int | None = None,
) -> dict[int, list[OwedLedger]]:
    """Every holder's incomplete ledgers of `year` (or one holder's), three queries in all."""
    found: dict[int, list[OwedLedger]] = {}
    for h, item in await _held_now(session, year, season_opens, tz, cadre_id):
        if item.missing:
            found.setdefault(h.place.cadre_id, []).append(item)
    return found


async def my_ledgers(
    session: AsyncSession, actor: Actor, clock: Clock, rules: PlanRules
) -> MyLedgers:
    """The actor's held households, incomplete ledgers first."""
    season = current_season(clock, rules)
    rows = await _held_now(session, season.year, season.opens, rules.tz, actor.cadre_id)
    items = sorted((item for _, item in rows), key=lambda i: (not i.missing, i.code))
    return MyLedgers(season.year, season.opens, tuple(items))


async def _held_now(
    session: AsyncSession, year: int, season_opens: date, tz: ZoneInfo, cadre_id: int | None
) -> list[tuple[HeldLedgerHousehold, OwedLedger]]:
    """Households held now (by one cadre or all) with what their ledger of `year` misses."""
    async with unit_of_work(session):
        rows = await _missing_by_household(
            session, year, season_start(season_opens, tz), held_at=None, cadre_id=cadre_id
        )
    return [
        (h, OwedLedger(h.household_id, h.household_code, h.head_name, missing))
        for h, missing in rows
    ]
