"""A believable year of work in the demo county: visits, village visits, reviewed ledgers.

This quarter is under way (some households still owed); the year's past quarters and
months are mostly done, so /compliance and /notice for them show real figures.

Without it the sandbox shows every figure at 0% and the notice ranks units that all tie.
Deterministic for a given day and seed; added only to a county with no visits yet, so a
restarted sandbox does not pile up more work each time.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock, local_today
from domain.deadlines import UnitRef, concerns
from domain.periods import Month, Quarter
from domain.status import ledger_season
from services.demo.county import DEMO_PERSONAS
from services.transaction import unit_of_work
from storage.models import (
    Cadre,
    HouseholdVisit,
    LedgerReview,
    MilestoneReport,
    Pairing,
    UnitVillage,
    VillageVisit,
)
from storage.plan_queries import milestones_between
from storage.progress import all_units

# Shares of the work already done, chosen so that units differ visibly.
VISITED_SHARE = (0.35, 0.95)  # per unit, a share of its households visited this quarter
VILLAGE_SHARE = 0.7
# Past quarters and months of the year: mostly done.
PAST_VISITED_SHARE = (0.8, 1.0)
PAST_VILLAGE_SHARE = (0.5, 1.0)  # per unit, the share of months it was at its village
LEDGER_SHARE = (0.2, 0.9)
# The cadre persona still owes visits: two of their households are left for the sandbox user.
PERSONA_VISITED = 3
MILESTONES_DONE_SHARE = 0.85
NEEDS = ("无", "助学金", "危房改造", "产业扶持", "就业培训", "医疗救助")


@dataclass(frozen=True)
class ActivitySummary:
    household_visits: int
    village_visits: int
    ledger_reviews: int
    progress_reports: int = 0
    past_household_visits: int = 0  # in the year's quarters before this one
    past_village_visits: int = 0  # in the year's months before this one


def _reported(day: date, now: datetime, tz: ZoneInfo, rng: random.Random) -> datetime:
    """An evening report on the visit's day, but never after now."""
    moment = datetime.combine(day, time(17 + rng.randrange(4), rng.randrange(60)), tzinfo=tz)
    return min(moment, now)


def _day_between(first: date, last: date, rng: random.Random) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


async def add_demo_activity(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    tz: ZoneInfo,
    ledger_opens: tuple[int, int] = (9, 1),
    *,
    seed: int = 2017,
) -> ActivitySummary:
    """Log this quarter's demo work once; returns what was added (zeros if work existed)."""
    now = clock.now()
    today = local_today(clock, tz)
    rng = random.Random(f"{seed}-{today.isoformat()}")
    quarter = Quarter.containing(today)
    month = Month.containing(today)
    season = ledger_season(today, ledger_opens)
    season_start = datetime.combine(season.opens, time(9), tzinfo=tz)
    async with sessionmaker() as session, unit_of_work(session):
        existing = (await session.execute(select(func.count(HouseholdVisit.id)))).scalar_one()
        if existing:
            return ActivitySummary(0, 0, 0)
        held = (
            await session.execute(
                select(Pairing.household_id, Pairing.cadre_id, Cadre.code, Cadre.unit_id)
                .join(Cadre, Cadre.id == Pairing.cadre_id)
                .where(Pairing.until.is_(None))
                .order_by(Pairing.household_id)
            )
        ).all()
        unit_share = {unit: rng.uniform(*VISITED_SHARE) for unit in sorted({r[3] for r in held})}
        persona_seen = 0
        visits: list[HouseholdVisit] = []
        reviews: list[LedgerReview] = []
        for household_id, cadre_id, cadre_code, unit_id in held:
            if cadre_code == DEMO_PERSONAS["cadre"]:
                visited = persona_seen < PERSONA_VISITED
                persona_seen += 1
            else:
                visited = rng.random() < unit_share[unit_id]
            if visited:
                day = _day_between(quarter.first_day, today, rng)
                visits.append(
                    HouseholdVisit(
                        household_id=household_id,
                        cadre_id=cadre_id,
                        visit_date=day,
                        reported_at=_reported(day, now, tz, rng),
                    )
                )
            if season_start <= now and rng.random() < rng.uniform(*LEDGER_SHARE):
                reviewed = season_start + (now - season_start) * rng.random()
                reviews.append(
                    LedgerReview(
                        household_id=household_id,
                        year=season.year,
                        needs=rng.choice(NEEDS),
                        reviewed_at=reviewed,
                        reviewed_by=cadre_id,
                    )
                )
        pairs = (
            await session.execute(
                select(UnitVillage.unit_id, UnitVillage.village_id).order_by(
                    UnitVillage.unit_id, UnitVillage.village_id
                )
            )
        ).all()
        visitor = dict(
            (
                await session.execute(
                    select(Cadre.unit_id, func.min(Cadre.id)).group_by(Cadre.unit_id)
                )
            ).all()
        )
        village_visits = [
            VillageVisit(
                unit_id=unit_id,
                village_id=village_id,
                cadre_id=visitor[unit_id],
                visit_date=(day := _day_between(month.first_day, today, rng)),
                reported_at=_reported(day, now, tz, rng),
            )
            for unit_id, village_id in pairs
            if unit_id in visitor and rng.random() < VILLAGE_SHARE
        ]
        existing_reviews = set(
            (
                await session.execute(
                    select(LedgerReview.household_id).where(LedgerReview.year == season.year)
                )
            ).scalars()
        )
        reviews = [r for r in reviews if r.household_id not in existing_reviews]
        reports = await _past_milestones_mostly_done(session, today, now, visitor, rng)
        past = random.Random(f"{seed}-past-{today.isoformat()}")  # this quarter's draws stay
        past_visits = _past_household_visits(held, quarter, now, tz, past)
        past_village = _past_village_visits(pairs, visitor, month, now, tz, past)
        session.add_all([*visits, *village_visits, *reviews, *reports, *past_visits, *past_village])
    return ActivitySummary(
        len(visits),
        len(village_visits),
        len(reviews),
        len(reports),
        len(past_visits),
        len(past_village),
    )


def _past_household_visits(
    held: Sequence[Row[int, int, str, int]],
    quarter: Quarter,
    now: datetime,
    tz: ZoneInfo,
    rng: random.Random,
) -> list[HouseholdVisit]:
    """Most households visited in each of the year's quarters before this one."""
    quarters = [Quarter(quarter.year, n) for n in range(1, quarter.number)]
    share = {unit: rng.uniform(*PAST_VISITED_SHARE) for unit in sorted({r[3] for r in held})}
    visits: list[HouseholdVisit] = []
    for past in quarters:
        for household_id, cadre_id, _code, unit_id in held:
            if rng.random() < share[unit_id]:
                day = _day_between(past.first_day, past.last_day, rng)
                visits.append(
                    HouseholdVisit(
                        household_id=household_id,
                        cadre_id=cadre_id,
                        visit_date=day,
                        reported_at=_reported(day, now, tz, rng),
                    )
                )
    return visits


def _past_village_visits(
    pairs: Sequence[Row[int, int]],
    visitor: dict[int, int],
    month: Month,
    now: datetime,
    tz: ZoneInfo,
    rng: random.Random,
) -> list[VillageVisit]:
    """Most units at their village in most of the year's months before this one."""
    share = {unit: rng.uniform(*PAST_VILLAGE_SHARE) for unit in sorted({p[0] for p in pairs})}
    return [
        VillageVisit(
            unit_id=unit_id,
            village_id=village_id,
            cadre_id=visitor[unit_id],
            visit_date=(day := _day_between(past.first_day, past.last_day, rng)),
            reported_at=_reported(day, now, tz, rng),
        )
        for past in (Month(month.year, n) for n in range(1, month.number))
        for unit_id, village_id in pairs
        if unit_id in visitor and rng.random() < share[unit_id]
    ]


async def _past_milestones_mostly_done(
    session: AsyncSession,
    today: date,
    now: datetime,
    reporter: dict[int, int],
    rng: random.Random,
) -> list[MilestoneReport]:
    """Most units reported their past milestones done in the due month; a few are late."""
    units = [UnitRef(u.id, u.code, u.name, u.kind) for u in await all_units(session)]
    rows = await milestones_between(session, today - timedelta(days=366), today - timedelta(1))
    reports: list[MilestoneReport] = []
    for row in rows:
        for unit in units:
            if unit.id not in reporter or rng.random() >= MILESTONES_DONE_SHARE:
                continue
            if not concerns(row.responsible + row.cooperating, unit):
                continue
            reports.append(
                MilestoneReport(
                    milestone_id=row.id,
                    unit_id=unit.id,
                    month=str(Month.containing(row.due_date)),
                    text="已完成",
                    done=True,
                    reported_by=reporter[unit.id],
                    reported_at=min(now, datetime.combine(row.due_date, time(10), tzinfo=UTC)),
                )
            )
    return reports
