"""The sender's last check: every rule answers for a whole batch in a fixed number of
statements, whatever its size and however many periods it mixes, and the batch's answer is
the rows' answers one by one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.clock import FixedClock
from domain.plan import rebase
from domain.reminders import RULE_NAMES, case_period
from reminders.rules import RULES, RuleContext, still_owed_many
from services.demo.activity import add_demo_activity
from services.demo.county import load_demo
from services.plan_loader import default_plan_path, load_plan, read_plan_file
from storage.models import (
    Cadre,
    Member,
    Milestone,
    MilestoneReport,
    OutboxMessage,
    UnitVillage,
    VillageVisit,
)
from storage.reminders import Recipient
from tests.integration.cases import case_reached
from ui.i18n import Catalogs

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 on 2026-12-02 in Shanghai
Maker = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class County:
    people: list[Recipient]
    milestones: list[int]
    late_case: int


async def _county(sessionmaker: Maker) -> County:
    """The small demo county with a quarter of work and the plan of 2026; the first cadre's
    unit has visited its villages and reported progress in November, and one case is late."""
    clock = FixedClock(NOW)
    await load_demo(sessionmaker, "small", clock, SHANGHAI)
    await add_demo_activity(sessionmaker, clock, SHANGHAI)
    async with sessionmaker() as session, session.begin():
        await load_plan(session, rebase(read_plan_file(default_plan_path()), 2026))
        cadres = (await session.execute(select(Cadre).order_by(Cadre.id))).scalars().all()
        milestones = list((await session.execute(select(Milestone.id))).scalars())
        first = cadres[0]
        # The demo's past months are mostly done: here only the first unit went in November.
        await session.execute(delete(VillageVisit).where(VillageVisit.visit_date < NOW.date()))
        villages = (
            await session.execute(
                select(UnitVillage.village_id).where(UnitVillage.unit_id == first.unit_id)
            )
        ).scalars()
        session.add_all(
            VillageVisit(
                unit_id=first.unit_id,
                village_id=village,
                cadre_id=first.id,
                visit_date=date(2026, 11, 5),
                reported_at=NOW,
            )
            for village in villages
        )
        session.add(
            MilestoneReport(
                milestone_id=milestones[0],
                unit_id=first.unit_id,
                month="2026-11",
                text="under way",
                done=False,
                reported_by=first.id,
                reported_at=NOW,
            )
        )
        member = (await session.execute(select(Member).limit(1))).scalar_one()
        reported = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
        case = case_reached(member, first.id, "poverty", date(2026, 11, 1), "reported", reported)
        session.add(case)
        await session.flush()
        late_case = case.id
    people = [Recipient(c.id, 900_000 + c.id, c.name, c.unit_id, c.role, None) for c in cadres]
    return County(people, milestones, late_case)


def _keys(rule: str, n: int, county: County) -> tuple[str, str]:
    """(period, occurrence) of the n-th row: periods alternate, so a batch mixes them."""
    odd = n % 2 == 1
    milestone = county.milestones[n % len(county.milestones)]
    case = county.late_case if n % 3 == 0 else county.late_case + 1 + n
    return {
        "village_visit": ("2026-10" if odd else "2026-11", "2026-11-20"),
        "household_visit": ("2026-Q3" if odd else "2026-Q4", "2026-12-01"),
        "ledger_deadline": ("2026", "2026-11-25" if odd else "2026-11-30"),
        "milestone": (f"milestone-{milestone}", f"d+7#{n}"),
        "progress_request": ("2026-10" if odd else "2026-11", "2026-11-30"),
        "monthly_notice": ("2026-11", "2026-12-01"),
        "dropout_overdue": (case_period(case, "reported" if n % 6 else "acknowledged"), "school"),
    }[rule]


def _batch(rule: str, size: int, county: County) -> list[OutboxMessage]:
    rows = []
    for n in range(size):
        period, occurrence = _keys(rule, n, county)
        person = county.people[n % len(county.people)]
        rows.append(
            OutboxMessage(
                id=n + 1,
                cadre_id=person.cadre_id,
                chat_id=person.chat_id,
                rule=rule,
                period=period,
                occurrence=occurrence,
                text="",
                buttons="[]",
            )
        )
    return rows


@contextmanager
def _statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


def test_every_scheduled_rule_has_a_registered_check() -> None:
    assert set(RULES) == set(RULE_NAMES)


async def test_still_owed_takes_the_same_statements_for_5_and_50_rows(
    engine: AsyncEngine, sessionmaker: Maker
) -> None:
    county = await _county(sessionmaker)
    assert len(county.people) > 5 and len(county.milestones) > 5
    by_id = {p.cadre_id: p for p in county.people}
    context = RuleContext(SHANGHAI, Catalogs.load("zh"), (9, 1))
    clock = FixedClock(NOW)
    counts: dict[str, list[int]] = {}
    for rule in RULES:
        counts[rule] = []
        for size in (5, 50):
            rows = _batch(rule, size, county)
            async with sessionmaker() as session, session.begin():
                with _statements(engine) as seen:
                    await still_owed_many(session, rows, by_id, context, clock)
            counts[rule].append(len(seen))
    assert {rule: small for rule, (small, _large) in counts.items()} == {
        rule: large for rule, (_small, large) in counts.items()
    }
    assert max(small for small, _ in counts.values()) <= 4, counts


@pytest.mark.parametrize("rule", sorted(RULE_NAMES))
async def test_a_batch_owes_what_its_rows_owe_one_by_one(
    rule: str, engine: AsyncEngine, sessionmaker: Maker
) -> None:
    county = await _county(sessionmaker)
    by_id = {p.cadre_id: p for p in county.people}
    context = RuleContext(SHANGHAI, Catalogs.load("zh"), (9, 1))
    clock = FixedClock(NOW)
    rows = _batch(rule, 24, county)
    async with sessionmaker() as session, session.begin():
        batch = await still_owed_many(session, rows, by_id, context, clock)
        alone = set()
        for row in rows:
            alone |= await still_owed_many(session, [row], by_id, context, clock)
    assert batch == alone
    if rule != "monthly_notice":  # news, always sent; every other rule owes for some rows
        assert 0 < len(batch) < len(rows)
