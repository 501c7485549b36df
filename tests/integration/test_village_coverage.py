"""Village month coverage against a hand-computed case, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.periods import Month
from services.village_visits import (
    VillageCoverageRow,
    VillageMonthStatus,
    unit_village_status,
    village_coverage,
)
from storage.models import Cadre, Township, Unit, UnitVillage, Village, VillageVisit

AT = datetime(2026, 12, 2, tzinfo=UTC)


async def _seed(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Units JYG (V1, V2), CS1 (V1), BGS (none); visits around the November edges."""
    async with sessionmaker() as session, session.begin():
        t1, t2 = Township(code="T1", name="栋川镇"), Township(code="T2", name="光禄镇")
        session.add_all([t1, t2])
        await session.flush()
        v1 = Village(code="V1", name="大村", township_id=t1.id)
        v2 = Village(code="V2", name="小村", township_id=t2.id)
        v3 = Village(code="V3", name="无人村", township_id=t1.id)  # paired with nobody
        jyg = Unit(code="JYG", name="教育股", kind="section")
        cs1 = Unit(code="CS1", name="栋川中心校", kind="central_school")
        bgs = Unit(code="BGS", name="局办公室", kind="office")
        session.add_all([v1, v2, v3, jyg, cs1, bgs])
        await session.flush()
        cadre = Cadre(code="C1", name="李明", unit_id=jyg.id)
        other = Cadre(code="C3", name="赵强", unit_id=cs1.id)
        session.add_all([cadre, other])
        session.add_all(
            [
                UnitVillage(unit_id=jyg.id, village_id=v1.id),
                UnitVillage(unit_id=jyg.id, village_id=v2.id),
                UnitVillage(unit_id=cs1.id, village_id=v1.id),
            ]
        )
        await session.flush()
        for unit, village, who, day in (
            (jyg, v1, cadre, date(2026, 11, 5)),
            (jyg, v1, cadre, date(2026, 11, 30)),  # a second visit: still one row
            (jyg, v2, cadre, date(2026, 10, 31)),  # October's, not November's
            (cs1, v1, other, date(2026, 12, 1)),  # December's
            (jyg, v3, cadre, date(2026, 11, 10)),  # not a pairing: never counted
        ):
            session.add(
                VillageVisit(
                    unit_id=unit.id,
                    village_id=village.id,
                    cadre_id=who.id,
                    visit_date=day,
                    reported_at=AT,
                )
            )
        return {"JYG": jyg.id, "CS1": cs1.id, "BGS": bgs.id, "V1": v1.id, "V2": v2.id}


def _keys(rows: list[VillageCoverageRow]) -> list[tuple[str, str, str, bool]]:
    return [(r.unit_code, r.village_code, r.township_code, r.covered) for r in rows]


async def test_village_coverage_by_month_and_unit(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    ids = await _seed(sessionmaker)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        async with sessionmaker() as session:
            november = await village_coverage(session, Month(2026, 11))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert len(statements) == 1  # one query for the whole county, no N+1
    assert _keys(november) == [
        ("CS1", "V1", "T1", False),
        ("JYG", "V1", "T1", True),
        ("JYG", "V2", "T2", False),
    ]
    first = november[1]
    assert (first.unit_id, first.unit_name, first.village_name, first.township_name) == (
        ids["JYG"],
        "教育股",
        "大村",
        "栋川镇",
    )
    async with sessionmaker() as session:
        october = await village_coverage(session, Month(2026, 10))
        december = await village_coverage(session, Month(2026, 12))
        only_cs1 = await village_coverage(session, Month(2026, 12), unit_id=ids["CS1"])
    assert [r.covered for r in october] == [False, False, True]
    assert [r.covered for r in december] == [True, False, False]
    assert _keys(only_cs1) == [("CS1", "V1", "T1", True)]


async def test_unit_village_status(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    ids = await _seed(sessionmaker)
    async with sessionmaker() as session:
        jyg = await unit_village_status(session, ids["JYG"], Month(2026, 11))
        bgs = await unit_village_status(session, ids["BGS"], Month(2026, 11))
    assert jyg == [
        VillageMonthStatus(ids["V1"], "V1", "大村", True),
        VillageMonthStatus(ids["V2"], "V2", "小村", False),
    ]
    assert bgs == []
