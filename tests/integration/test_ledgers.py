"""Ledger completion and incomplete ledgers against a hand-computed county (SQLite and PG)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.status import OwedLedger
from services.reports.ledgers import (
    LedgerCell,
    incomplete_ledgers,
    ledger_completion,
)
from storage.models import (
    Cadre,
    Household,
    LedgerReview,
    Member,
    Pairing,
    Township,
    Unit,
    Village,
)

TZ = ZoneInfo("Asia/Shanghai")
OPENS = date(2026, 9, 1)
HELD_AT = datetime(2026, 11, 30, 15, 59, tzinfo=UTC)
JAN = datetime(2026, 1, 1, tzinfo=UTC)
REVIEWED = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)


async def seed(session: AsyncSession) -> dict[str, int]:
    """Households H1-H8; the comments give each one's expected completeness."""
    async with session.begin():
        t1, t2 = Township(code="T1", name="栋川镇"), Township(code="T2", name="光禄镇")
        session.add_all([t1, t2])
        await session.flush()
        v1 = Village(code="V1", name="大村", township_id=t1.id)
        v2 = Village(code="V2", name="小村", township_id=t2.id)
        u1 = Unit(code="U1", name="教育股", kind="section")
        u2 = Unit(code="U2", name="中心校", kind="central_school")
        session.add_all([v1, v2, u1, u2])
        await session.flush()
        a = Cadre(code="A", name="甲", unit_id=u1.id)
        b = Cadre(code="B", name="乙", unit_id=u1.id)
        c = Cadre(code="C", name="丙", unit_id=u2.id)
        session.add_all([a, b, c])
        await session.flush()
        ids: dict[str, int] = {"A": a.id, "B": b.id, "C": c.id, "U1": u1.id}

        async def household(code: str, village: Village) -> int:
            row = Household(code=code, village_id=village.id, head_name=f"{code}户主")
            session.add(row)
            await session.flush()
            ids[code] = row.id
            return row.id

        def pair(
            cadre: Cadre, hh: int, since: datetime = JAN, until: datetime | None = None
        ) -> None:
            session.add(Pairing(cadre_id=cadre.id, household_id=hh, since=since, until=until))

        def review(hh: int, needs: str | None, at: datetime | None, year: int = 2026) -> None:
            session.add(LedgerReview(household_id=hh, year=year, needs=needs, reviewed_at=at))

        def member(hh: int, name: str, born: date, **details: str) -> None:
            session.add(Member(household_id=hh, name=name, birth_date=born, **details))

        # H1 (A, T1) complete: enrolled child with school and grade, adult without status.
        h1 = await household("H1", v1)
        pair(a, h1)
        member(
            h1,
            "小明",
            date(2015, 3, 1),
            status="enrolled",
            stage="primary",
            school="栋川小学",
            grade="五年级",
        )
        member(h1, "老张", date(1980, 1, 1))
        review(h1, "无", REVIEWED)
        # H2 (A, T1) incomplete: a 14-year-old (on Sept 1) without a status.
        h2 = await household("H2", v1)
        pair(a, h2)
        member(h2, "小红", date(2012, 6, 1))
        review(h2, "助学", REVIEWED)
        # H3 (A, T2) complete: no members, needs and review.
        h3 = await household("H3", v2)
        pair(a, h3)
        review(h3, "无", REVIEWED)
        # H4 (B, T1) incomplete: reviewed at 23:59 Shanghai on Aug 31, before the season.
        h4 = await household("H4", v1)
        pair(b, h4)
        review(h4, "无", datetime(2026, 8, 31, 15, 59, tzinfo=UTC))
        # H5 (B, T1) complete: reviewed at 00:00 Shanghai on Sept 1, the season's first minute.
        h5 = await household("H5", v1)
        pair(b, h5)
        review(h5, "无", datetime(2026, 8, 31, 16, 0, tzinfo=UTC))
        # H6 (C, T2) incomplete: a graduate without destination; no needs.
        h6 = await household("H6", v2)
        pair(c, h6)
        member(h6, "小刚", date(2010, 5, 5), status="graduated", stage="junior")
        review(h6, None, REVIEWED)
        # H7 (A until Oct 1, then C; T2) complete: counts for C at the end of November.
        h7 = await household("H7", v2)
        pair(a, h7, until=datetime(2026, 10, 1, tzinfo=UTC))
        pair(c, h7, since=datetime(2026, 10, 1, tzinfo=UTC))
        review(h7, "无", REVIEWED)
        review(h7, None, None, year=2025)
        # H8 (B since December, T1) incomplete: not held at HELD_AT, but held now.
        h8 = await household("H8", v1)
        pair(b, h8, since=datetime(2026, 12, 15, tzinfo=UTC))
    return ids


def cells_by_key(cells: list[LedgerCell]) -> dict[tuple[str, str], tuple[int, int]]:
    return {(c.cadre_code, c.township_code): (c.households, c.complete) for c in cells}


async def test_ledger_completion_per_cadre_and_township(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        ids = await seed(session)
        cells = await ledger_completion(session, 2026, OPENS, held_at=HELD_AT, tz=TZ)
        by_unit = await ledger_completion(
            session, 2026, OPENS, held_at=HELD_AT, unit_id=ids["U1"], tz=TZ
        )
        by_cadre = await ledger_completion(
            session, 2026, OPENS, held_at=HELD_AT, cadre_id=ids["B"], tz=TZ
        )
    assert cells_by_key(cells) == {
        ("A", "T1"): (2, 1),
        ("A", "T2"): (1, 1),
        ("B", "T1"): (2, 1),
        ("C", "T2"): (2, 1),
    }
    a_t1 = next(c for c in cells if (c.cadre_code, c.township_code) == ("A", "T1"))
    assert (a_t1.cadre_name, a_t1.unit_code, a_t1.unit_name, a_t1.township_name) == (
        "甲",
        "U1",
        "教育股",
        "栋川镇",
    )
    assert cells_by_key(by_unit) == {
        ("A", "T1"): (2, 1),
        ("A", "T2"): (1, 1),
        ("B", "T1"): (2, 1),
    }
    assert cells_by_key(by_cadre) == {("B", "T1"): (2, 1)}


async def test_last_years_review_does_not_count(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        await seed(session)
        cells = await ledger_completion(
            session, 2027, date(2027, 9, 1), held_at=datetime(2027, 11, 30, tzinfo=UTC), tz=TZ
        )
    # Nothing was reviewed for 2027; H8 is held by B by then.
    assert sum(c.complete for c in cells) == 0
    assert sum(c.households for c in cells) == 8


async def test_incomplete_ledgers_of_a_cadre(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        ids = await seed(session)
        mine_a = await incomplete_ledgers(session, ids["A"], 2026, OPENS, tz=TZ)
        mine_b = await incomplete_ledgers(session, ids["B"], 2026, OPENS, tz=TZ)
        mine_c = await incomplete_ledgers(session, ids["C"], 2026, OPENS, tz=TZ)
    assert mine_a == [OwedLedger(ids["H2"], "H2", "H2户主", ("status:小红",))]
    assert mine_b == [
        OwedLedger(ids["H4"], "H4", "H4户主", ("review",)),
        OwedLedger(ids["H8"], "H8", "H8户主", ("needs", "review")),
    ]
    assert mine_c == [
        OwedLedger(ids["H6"], "H6", "H6户主", ("destination:小刚", "needs")),
    ]


async def test_completion_reads_a_fixed_number_of_queries(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """No query per household, no household read into Python: one grouped statement."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    async with sessionmaker() as session:
        await seed(session)
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            await ledger_completion(session, 2026, OPENS, held_at=HELD_AT, tz=TZ)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1
    assert "GROUP BY" in selects[0].upper()
