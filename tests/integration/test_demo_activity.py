"""The demo's quarter of work: plausible, once only, and the persona still owes visits."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import FixedClock
from domain.periods import Quarter
from services.demo.activity import PERSONA_VISITED, add_demo_activity
from services.demo.county import DEMO_PERSONAS, PERSONA_HOUSEHOLDS, load_demo
from services.reports.compliance import county_compliance
from storage.models import Cadre, HouseholdVisit, LedgerReview, Pairing, VillageVisit

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2026-11-28 01:30 in Shanghai is still 2026-11-27 in UTC: dates must follow Shanghai.
NOW = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)


async def test_activity_is_plausible_and_added_once(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    clock = FixedClock(NOW)
    await load_demo(sessionmaker, "small", clock, SHANGHAI)
    added = await add_demo_activity(sessionmaker, clock, SHANGHAI)
    assert added.household_visits > 0 and added.ledger_reviews > 0
    again = await add_demo_activity(sessionmaker, clock, SHANGHAI)
    assert (again.household_visits, again.village_visits, again.ledger_reviews) == (0, 0, 0)

    async with sessionmaker() as session:
        every = list((await session.execute(select(HouseholdVisit))).scalars())
        visits = [v for v in every if v.visit_date >= date(2026, 10, 1)]
        assert len(visits) == added.household_visits
        assert all(v.visit_date <= date(2026, 11, 28) for v in visits)
        assert len(every) == added.household_visits + added.past_household_visits
        assert all(date(2026, 1, 1) <= v.visit_date for v in every)
        assert all(v.reported_at <= NOW for v in every)
        everywhere = list((await session.execute(select(VillageVisit))).scalars())
        village = [v for v in everywhere if v.visit_date >= date(2026, 11, 1)]
        assert len(village) == added.village_visits
        assert all(v.visit_date <= date(2026, 11, 28) for v in village)
        assert len(everywhere) == added.village_visits + added.past_village_visits
        reviews = list((await session.execute(select(LedgerReview))).scalars())
        assert {r.year for r in reviews} == {2026}
        assert all(datetime(2026, 9, 1, 1, tzinfo=UTC) <= r.reviewed_at <= NOW for r in reviews)
        persona_visits = (
            await session.execute(
                select(func.count(HouseholdVisit.id))
                .join(Pairing, Pairing.household_id == HouseholdVisit.household_id)
                .join(Cadre, Cadre.id == Pairing.cadre_id)
                .where(Cadre.code == DEMO_PERSONAS["cadre"])
                .where(HouseholdVisit.visit_date >= date(2026, 10, 1))
            )
        ).scalar_one()
    assert persona_visits == PERSONA_VISITED < PERSONA_HOUSEHOLDS


async def test_past_quarters_of_the_year_show_real_figures(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Pairings are held from the year's start; the past quarters were mostly visited."""
    clock = FixedClock(NOW)
    await load_demo(sessionmaker, "small", clock, SHANGHAI)
    added = await add_demo_activity(sessionmaker, clock, SHANGHAI)
    assert added.past_household_visits > 0 and added.past_village_visits > 0
    async with sessionmaker() as session:
        since = (await session.execute(select(func.max(Pairing.since)))).scalar_one()
        assert since <= datetime(2026, 1, 1, tzinfo=SHANGHAI)
        for number in (1, 2, 3):
            report = await county_compliance(session, Quarter(2026, number), clock, SHANGHAI)
            assert report.total.assigned > 0, number
            assert report.total.covered >= report.total.assigned * 0.7, number
            assert report.villages is not None and report.villages.total.covered > 0
