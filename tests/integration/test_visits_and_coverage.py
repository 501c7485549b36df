"""Visits, invites and the coverage aggregate on real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.clock import FixedClock
from domain.coverage import Coverage
from domain.errors import InviteRefused, PermissionRefused
from domain.periods import Quarter
from domain.plan_rules import PlanRules
from domain.roles import Role
from domain.types import CadreId, UnitId
from services.actors import Actor, actor_for_account
from services.registration import issue_invite, redeem_invite
from services.reports.compliance import county_compliance
from services.roster_import import import_tables
from services.visits import VisitRequest, log_household_visit
from storage.models import Base, Cadre, HouseholdVisit, Village

Maker = async_sessionmaker[AsyncSession]
SHANGHAI = ZoneInfo("Asia/Shanghai")
RULES = PlanRules(tz=SHANGHAI, backdate_days=30)
IMPORTED = datetime(2026, 9, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 28, 2, tzinfo=UTC)

ROSTER: dict[str, list[dict[str, object]]] = {
    "townships": [{"code": "T1", "name": "栋川镇"}, {"code": "T2", "name": "光禄镇"}],
    "villages": [
        {"code": "V1", "name": "大村", "township_code": "T1"},
        {"code": "V2", "name": "小村", "township_code": "T2"},
    ],
    "units": [
        {"code": "JYG", "name": "教育股", "kind": "section"},
        {"code": "CS1", "name": "栋川中心校", "kind": "central_school", "township_code": "T1"},
    ],
    "cadres": [
        {"code": "C1", "name": "李明", "unit_code": "JYG", "role": "cadre"},
        {"code": "C2", "name": "王芳", "unit_code": "JYG", "role": "cadre"},
        {"code": "C3", "name": "赵强", "unit_code": "CS1", "role": "cadre"},
    ],
    "households": [
        {"code": f"H{n}", "village_code": "V1" if n <= 3 else "V2", "head_name": f"户主{n}"}
        for n in range(1, 7)
    ],
    "pairings": [
        {"cadre_code": "C1", "household_code": "H1"},
        {"cadre_code": "C1", "household_code": "H2"},
        {"cadre_code": "C2", "household_code": "H3"},
        {"cadre_code": "C2", "household_code": "H4"},
        {"cadre_code": "C3", "household_code": "H5"},
        {"cadre_code": "C3", "household_code": "H6"},
    ],
}


def _figures(rows: tuple[Coverage, ...]) -> dict[str, tuple[int, int]]:
    """Each row's (assigned, covered), by its key."""
    return {r.key: (r.assigned, r.covered) for r in rows}


async def _actor(sessionmaker: Maker, code: str) -> Actor:
    async with sessionmaker() as session:
        cadre = (await session.execute(select(Cadre).where(Cadre.code == code))).scalar_one()
    return Actor(CadreId(cadre.id), cadre.code, cadre.name, Role(cadre.role), UnitId(cadre.unit_id),
                 None)  # fmt: skip


async def _visit(sessionmaker: Maker, actor: Actor, code: str, day: date | None = None) -> bool:
    async with sessionmaker() as session:
        outcome = await log_household_visit(
            session, actor, VisitRequest(household_code=code, visit_date=day), FixedClock(NOW),
            RULES,
        )  # fmt: skip
    return outcome.record.created


async def _visit_count(sessionmaker: Maker) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(HouseholdVisit)) or 0)


@pytest.fixture
async def roster(sessionmaker: Maker) -> Maker:
    await import_tables(sessionmaker, ROSTER, clock=FixedClock(IMPORTED))
    return sessionmaker


async def test_migrations_match_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    assert differences == []


async def test_same_household_same_day_is_one_row(roster: Maker) -> None:
    c1 = await _actor(roster, "C1")
    assert await _visit(roster, c1, "H1") is True
    assert await _visit(roster, c1, "H1") is False
    assert await _visit(roster, c1, "H1", date(2026, 11, 27)) is True
    assert await _visit_count(roster) == 2


async def test_concurrent_reports_of_one_visit_make_one_row(roster: Maker) -> None:
    c1 = await _actor(roster, "C1")
    results = await asyncio.gather(*(_visit(roster, c1, "H2") for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    assert await _visit_count(roster) == 1


async def test_someone_elses_household_is_refused_and_nothing_written(roster: Maker) -> None:
    c1 = await _actor(roster, "C1")
    with pytest.raises(PermissionRefused):
        await _visit(roster, c1, "H3")
    assert await _visit_count(roster) == 0


async def test_county_coverage_by_unit_township_and_cadre(roster: Maker) -> None:
    c1, c2, c3 = [await _actor(roster, code) for code in ("C1", "C2", "C3")]
    await _visit(roster, c1, "H1", date(2026, 11, 1))
    await _visit(roster, c1, "H1", date(2026, 11, 2))  # a second visit covers nothing more
    await _visit(roster, c2, "H4", date(2026, 10, 30))
    await _visit(roster, c3, "H5")
    async with roster() as session:
        report = await county_compliance(session, Quarter(2026, 4), FixedClock(NOW), SHANGHAI)
    assert (report.total.assigned, report.total.covered) == (6, 3)
    assert _figures(report.by_unit) == {"JYG": (4, 2), "CS1": (2, 1)}
    # H1-H3 in 栋川镇 (T1), H4-H6 in 光禄镇 (T2).
    assert _figures(report.by_township) == {"T1": (3, 1), "T2": (3, 2)}
    assert _figures(report.by_cadre) == {"C1": (2, 1), "C2": (2, 1), "C3": (2, 1)}


async def test_household_counts_for_its_holder_at_the_end_of_the_quarter(roster: Maker) -> None:
    c1 = await _actor(roster, "C1")
    await _visit(roster, c1, "H1", date(2026, 11, 1))
    # H1 moves from C1 to C2 on 2026-11-20.
    moved = {**ROSTER, "pairings": [{"cadre_code": "C2", "household_code": "H1"}]}
    await import_tables(roster, moved, clock=FixedClock(datetime(2026, 11, 20, tzinfo=UTC)))
    async with roster() as session:
        q4 = await county_compliance(session, Quarter(2026, 4), FixedClock(NOW), SHANGHAI)
        q3 = await county_compliance(session, Quarter(2026, 3), FixedClock(NOW), SHANGHAI)
    assert _figures(q4.by_cadre)["C2"] == (3, 1)
    assert _figures(q4.by_cadre)["C1"] == (1, 0)
    # In Q3 (ended 2026-09-30) C1 still held H1 and H2.
    assert {r.key: r.assigned for r in q3.by_cadre}["C1"] == 2
    # After the move C1 may no longer log H1.
    with pytest.raises(PermissionRefused):
        await _visit(roster, c1, "H1")


async def test_invite_is_single_use_even_when_raced(roster: Maker) -> None:
    clock = FixedClock(NOW)
    async with roster() as session:
        issued = await issue_invite(session, "C1", clock, 7)

    async def redeem(account: int) -> bool:
        async with roster() as session:
            try:
                await redeem_invite(session, account, issued.code, clock)
            except InviteRefused:
                return False
            return True

    results = await asyncio.gather(*(redeem(5000 + n) for n in range(4)))
    assert results.count(True) == 1
    winner = 5000 + results.index(True)
    async with roster() as session:
        actor = await actor_for_account(session, winner)
    assert actor is not None and actor.code == "C1"


async def test_rebinding_moves_the_account(roster: Maker) -> None:
    clock = FixedClock(NOW)
    for code in ("C1", "C2"):
        async with roster() as session:
            issued = await issue_invite(session, code, clock, 7)
        async with roster() as session:
            await redeem_invite(session, 4242, issued.code, clock)
        clock.set(clock.now() + timedelta(minutes=1))
    async with roster() as session:
        actor = await actor_for_account(session, 4242)
        bound = await session.execute(select(Cadre.code).where(Cadre.telegram_user_id == 4242))
        assert list(bound.scalars()) == ["C2"]
    assert actor is not None and actor.code == "C2"


async def test_village_month_coverage_by_unit_and_township(roster: Maker) -> None:
    from domain.periods import Month
    from services.reports.compliance import county_compliance as county
    from services.village_visits import VillageVisitRequest, log_village_visit

    paired = {
        **ROSTER,
        "unit_villages": [
            {"unit_code": "JYG", "village_code": "V1"},
            {"unit_code": "JYG", "village_code": "V2"},
            {"unit_code": "CS1", "village_code": "V1"},
        ],
    }
    await import_tables(roster, paired, clock=FixedClock(IMPORTED))
    c1, c3 = await _actor(roster, "C1"), await _actor(roster, "C3")
    async with roster() as session:
        village_ids = dict((await session.execute(select(Village.code, Village.id))).all())
    for actor, village, day in (
        (c1, "V1", date(2026, 11, 2)),
        (c1, "V1", date(2026, 11, 3)),  # a second visit covers nothing more
        (c3, "V1", date(2026, 10, 30)),  # last month
    ):
        async with roster() as session:
            await log_village_visit(
                session,
                actor,
                VillageVisitRequest(village_id=village_ids[village], visit_date=day),
                FixedClock(NOW),
                RULES,
            )
    async with roster() as session:
        report = await county(session, Quarter(2026, 4), FixedClock(NOW), SHANGHAI)
    villages = report.villages
    assert villages is not None and villages.month == str(Month(2026, 11))
    assert (villages.total.assigned, villages.total.covered) == (3, 1)
    assert _figures(villages.by_unit) == {"JYG": (2, 1), "CS1": (1, 0)}
    assert _figures(villages.by_township) == {"T1": (2, 1), "T2": (1, 0)}
    # Q3 shows its last month, September: nobody went.
    async with roster() as session:
        q3 = await county(session, Quarter(2026, 3), FixedClock(NOW), SHANGHAI)
    assert q3.villages is not None and q3.villages.month == "2026-09"
    assert q3.villages.total.covered == 0


async def test_ledger_completion_in_the_county_report(roster: Maker) -> None:
    from services.reports.compliance import county_compliance as county
    from storage.models import Household, LedgerReview

    # H1 (C1) reviewed in season with needs; H2 (C1) reviewed before the season opened;
    # H5 (C3) has needs but no review. None of these households has members.
    reviews = {
        "H1": datetime(2026, 9, 2, tzinfo=UTC),
        "H2": datetime(2026, 8, 30, tzinfo=UTC),
        "H5": None,
    }
    async with roster() as session, session.begin():
        ids = dict((await session.execute(select(Household.code, Household.id))).all())
        for code, reviewed_at in reviews.items():
            session.add(
                LedgerReview(household_id=ids[code], year=2026, needs="无", reviewed_at=reviewed_at)
            )
    async with roster() as session:
        report = await county(session, Quarter(2026, 4), FixedClock(NOW), SHANGHAI, (9, 1))
    ledgers = report.ledgers
    assert ledgers is not None and ledgers.year == 2026
    assert (ledgers.total.assigned, ledgers.total.covered) == (6, 1)
    assert _figures(ledgers.by_cadre) == {"C1": (2, 1), "C2": (2, 0), "C3": (2, 0)}
    assert _figures(ledgers.by_unit) == {"JYG": (4, 1), "CS1": (2, 0)}
