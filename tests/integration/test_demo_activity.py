"""The demo's quarter of work: plausible, once only, and the persona still owes visits."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import FixedClock
from services.demo.activity import PERSONA_VISITED, add_demo_activity
from services.demo.county import DEMO_PERSONAS, PERSONA_HOUSEHOLDS, load_demo
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
        visits = list((await session.execute(select(HouseholdVisit))).scalars())
        assert len(visits) == added.household_visits
        assert all(date(2026, 10, 1) <= v.visit_date <= date(2026, 11, 28) for v in visits)
        assert all(v.reported_at <= NOW for v in visits)
        village = list((await session.execute(select(VillageVisit))).scalars())
        assert all(date(2026, 11, 1) <= v.visit_date <= date(2026, 11, 28) for v in village)
        reviews = list((await session.execute(select(LedgerReview))).scalars())
        assert {r.year for r in reviews} == {2026}
        assert all(datetime(2026, 9, 1, 1, tzinfo=UTC) <= r.reviewed_at <= NOW for r in reviews)
        persona_visits = (
            await session.execute(
                select(func.count(HouseholdVisit.id))
                .join(Pairing, Pairing.household_id == HouseholdVisit.household_id)
                .join(Cadre, Cadre.id == Pairing.cadre_id)
                .where(Cadre.code == DEMO_PERSONAS["cadre"])
            )
        ).scalar_one()
    assert persona_visits == PERSONA_VISITED < PERSONA_HOUSEHOLDS
