"""The ledger and household-visit reminders decide in SQL what the domain decides in
Python: on a randomised county the two agree household by household, and a reminder read
as counted first rows says exactly what the full list would (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import FixedClock
from domain.ledgers import (
    DESTINATIONS,
    STAGES,
    of_compulsory_age,
    season_start,
)
from domain.reminders import LEDGER_DEADLINE, Occurrence, RuleSpec
from reminders.rules import RuleContext, due_reminders
from services.reports.ledgers import incomplete_ledgers_by_cadre
from storage.models import (
    Cadre,
    Household,
    HouseholdVisit,
    LedgerReview,
    Member,
    Pairing,
    Township,
    Unit,
    Village,
)
from storage.reminder_owing import (
    WHITESPACE,
    cadres_with_incomplete_ledgers,
    compulsory_births,
    ledger_incomplete,
    owed_households_by_cadre,
)
from ui.i18n import Catalogs
from ui.views.reminders import ledger_deadline_reminder

TZ = ZoneInfo("Asia/Shanghai")
YEAR = 2026
OPENS = date(YEAR, 9, 1)
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
Maker = async_sessionmaker[AsyncSession]


def _maybe(rng: random.Random, *values: object) -> object:
    return rng.choice(values)


async def _county(sessionmaker: Maker, seed: int) -> None:
    """Three reachable cadres (the last holding 40 households) and one nobody can reach;
    members and reviews drawn at random around every edge of the completeness rule."""
    rng = random.Random(seed)
    births = [
        date(2010, 9, 1),
        date(2010, 9, 2),
        date(2020, 9, 1),
        date(2020, 9, 2),
        date(2012, 2, 29),
        date(1980, 5, 5),
        None,
    ]
    async with sessionmaker() as session, session.begin():
        township = Township(code="T1", name="栋川镇")
        session.add(township)
        await session.flush()
        village = Village(code="V1", name="大村", township_id=township.id, poor=True)
        unit = Unit(code="U1", name="教育股", kind="section")
        session.add_all([village, unit])
        await session.flush()
        cadres = [
            Cadre(code=f"C{n}", name=f"干部{n}", unit_id=unit.id, telegram_user_id=7000 + n)
            for n in range(3)
        ]
        cadres.append(Cadre(code="C9", name="未注册", unit_id=unit.id))
        session.add_all(cadres)
        await session.flush()
        since = datetime(2026, 1, 1, tzinfo=UTC)
        holdings = [cadres[0]] * 6 + [cadres[1]] * 12 + [cadres[2]] * 40 + [cadres[3]] * 5
        for n, holder in enumerate(holdings):
            household = Household(code=f"H{n:03d}", village_id=village.id, head_name=f"户主{n}")
            session.add(household)
            await session.flush()
            session.add(Pairing(cadre_id=holder.id, household_id=household.id, since=since))
            for m in range(rng.randrange(0, 4)):
                status = _maybe(rng, None, None, "enrolled", "graduated", "exempted", "dropout")
                session.add(
                    Member(
                        household_id=household.id,
                        name=f"成员{m}",
                        birth_date=rng.choice(births),
                        status=status,
                        stage=_maybe(rng, None, "", *STAGES),
                        school=_maybe(rng, None, "", "小学"),
                        grade=_maybe(rng, None, "", "三年级"),
                        destination=_maybe(rng, None, "", *DESTINATIONS),
                    )
                )
            if rng.random() < 0.85:
                session.add(
                    LedgerReview(
                        household_id=household.id,
                        year=_maybe(rng, YEAR, YEAR, YEAR, YEAR - 1),
                        needs=_maybe(rng, None, "", " \u3000\n", "无", "  修路 ", "无", "无"),
                        reviewed_at=_maybe(
                            rng,
                            None,
                            season_start(OPENS, TZ) - timedelta(seconds=1),
                            season_start(OPENS, TZ),
                            NOW,
                            NOW,
                        ),
                    )
                )
            if rng.random() < 0.5:
                session.add(
                    HouseholdVisit(
                        household_id=household.id,
                        cadre_id=holder.id,
                        visit_date=date(2026, 10, 5),
                        reported_at=NOW,
                    )
                )


def test_whitespace_is_what_str_strip_removes() -> None:
    import sys

    assert "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()) == WHITESPACE


def test_compulsory_births_are_the_domain_ages() -> None:
    for year in (2024, 2026, 2028):
        after, until = compulsory_births(year)
        day = date(year - 20, 1, 1)
        while day < date(year, 1, 1):
            assert (after < day <= until) == of_compulsory_age(day, year), day
            day += timedelta(days=1)


async def test_ledgers_incomplete_in_sql_are_those_the_domain_finds(
    sessionmaker: Maker,
) -> None:
    for seed in range(4):
        await _county(sessionmaker, seed)
        opens_at = season_start(OPENS, TZ)
        async with sessionmaker() as session, session.begin():
            expected = {
                cadre: [item.code for item in items]
                for cadre, items in (
                    await incomplete_ledgers_by_cadre(session, YEAR, OPENS, tz=TZ)
                ).items()
            }
            owing = ledger_incomplete(Pairing.household_id, YEAR, opens_at)
            found = {
                owed.recipient.cadre_id: (owed.total, [code for _, code, _ in owed.first])
                async for owed in owed_households_by_cadre(session, owing, 1000)
            }
            everyone = await cadres_with_incomplete_ledgers(
                session, list(expected) + [10_000], YEAR, opens_at
            )
            reachable = {
                c.id
                for c in (await session.execute(Cadre.__table__.select())).all()
                if c.telegram_user_id is not None
            }
        assert everyone == set(expected)
        assert found == {
            cadre: (len(codes), codes) for cadre, codes in expected.items() if cadre in reachable
        }
        assert any(0 < len(codes) < 6 for codes in expected.values()), "a thin draw"
        async with sessionmaker() as session, session.begin():
            for table in ("household_visits", "ledger_reviews", "members", "pairings"):
                await session.execute(Household.__table__.metadata.tables[table].delete())
            for table in ("households", "cadres", "units", "villages", "townships"):
                await session.execute(Household.__table__.metadata.tables[table].delete())


async def test_the_ledger_reminder_reads_as_if_every_household_were_loaded(
    sessionmaker: Maker,
) -> None:
    await _county(sessionmaker, 7)
    context = RuleContext(TZ, Catalogs.load("zh"), (9, 1))
    spec = RuleSpec(LEDGER_DEADLINE, dates=((11, 30),))
    occurrence = Occurrence(LEDGER_DEADLINE, "2026", "2026-11-30", date(2026, 11, 30))
    async with sessionmaker() as session, session.begin():
        full = await incomplete_ledgers_by_cadre(session, YEAR, OPENS, tz=TZ)
        reminders = [
            r async for r in due_reminders(session, spec, occurrence, context, FixedClock(NOW))
        ]
    assert [r.recipient.cadre_id for r in reminders] == sorted(
        c for c in full if c in {r.recipient.cadre_id for r in reminders}
    )
    assert len(reminders) == 3 and any(len(full[r.recipient.cadre_id]) > 10 for r in reminders)
    t = context.catalogs.translator(None)
    for reminder in reminders:
        owed = [(i.household_id, i.code, i.head_name) for i in full[reminder.recipient.cadre_id]]
        view = ledger_deadline_reminder(owed, date(2026, 11, 30), t)
        expected = reminder.of(reminder.recipient, reminder.rule, "2026", "2026-11-30", view)
        assert reminder == expected
