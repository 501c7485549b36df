"""A deployment holding every common kind of row, made the way an operator and the cadres
make it (the command line, then the services the bot's handlers call), and each table of the
bot read back, for tests that move a deployment (backup and restore, `cadrebot db copy`)."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.cli import main
from bot.sandbox import SCHOOL_ID, bind_personas, demo_personas
from bot.settings import async_database_url
from domain.clock import SystemClock, local_today
from domain.plan_rules import PlanRules
from domain.roster import TABLE_ORDER
from services.actors import Actor, actor_for_account
from services.dropouts import CaseWrite, DropoutReport, report_dropout, take_step
from services.evidence import Evidence
from services.visits import VisitRequest, log_household_visit
from storage.db import make_engine, open_database
from storage.models import Base, Cadre, Household, HouseholdVisit, Pairing
from storage.reminders import take_lease
from tests.integration.test_cli import run
from tests.postgres import PG_ADMIN_URL, database_url, pg_admin
from ui.i18n import Catalogs
from ui.views.dropouts import case_notices

SHANGHAI = ZoneInfo("Asia/Shanghai")
CADRE_ACCOUNT = 9001  # bot.sandbox's cadre persona (C0001)
# Tables the filling below must leave non-empty: a copy or a restore of empty tables would
# prove little.
FILLED = (
    *TABLE_ORDER,  # the roster's tables
    "campaigns",
    "tasks",
    "milestones",
    "plan_settings",
    "household_visits",
    "village_visits",
    "visit_photos",
    "ledger_reviews",
    "ledger_changes",
    "invites",
    "dropout_cases",
    "dropout_events",
    "reminder_outbox",
    "scheduler_lease",
)
Rows = dict[str, list[tuple[Any, ...]]]


def fill_deployment(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Schema, plan, the small demo county with a quarter of work, then a day in the field."""
    monkeypatch.setenv("DATABASE_URL", url)
    for argv in (
        ["db", "upgrade"],
        ["plan", "load"],
        ["demo", "--activity"],
        ["invite", "C0007", "--bot-username", "yaoan_cadre_bot"],
    ):
        assert main(argv) == 0, argv
    asyncio.run(_field_work(url))


async def _field_work(url: str) -> None:
    """Accounts registered by invite, a visit with a location and a photo, a dropout case
    reported and acknowledged (its notices in the outbox), the scheduler's lease taken."""
    clock = SystemClock()
    rules = PlanRules(SHANGHAI, 30)
    today = local_today(clock, SHANGHAI)
    write = CaseWrite(clock, SHANGHAI, case_notices(Catalogs.load("zh"), SHANGHAI))
    async with open_database(async_database_url(url)) as sessionmaker:
        await bind_personas(sessionmaker, demo_personas(), clock)
        async with sessionmaker() as session:
            cadre = await _actor(session, CADRE_ACCOUNT)
            school = await _actor(session, SCHOOL_ID)
            code = await _household_not_visited_on(session, cadre, today)
        async with sessionmaker() as session:
            await log_household_visit(
                session,
                cadre,
                VisitRequest(
                    household_code=code,
                    note="讲解了资助政策",
                    evidence=Evidence(25.5, 101.2, 20.0, (("photo-file-1", "photo-unique-1"),)),
                ),
                clock,
                rules,
            )
        since = today - timedelta(days=3)
        report = DropoutReport("poverty", since, household_code=code, child_name="测试儿童")
        async with sessionmaker() as session:
            outcome = await report_dropout(session, cadre, report, write)
        async with sessionmaker() as session:
            await take_step(session, school, outcome.view.row.id, "acknowledge", write)
        async with sessionmaker() as session, session.begin():
            now = clock.now()
            assert await take_lease(session, "backup-test", now, now + timedelta(minutes=5))


async def _actor(session: Any, account: int) -> Actor:
    actor = await actor_for_account(session, account)
    assert actor is not None, account
    return actor


async def _household_not_visited_on(session: Any, cadre: Actor, day: date) -> str:
    visited = select(HouseholdVisit.household_id).where(HouseholdVisit.visit_date == day)
    code = await session.scalar(
        select(Household.code)
        .join(Pairing, Pairing.household_id == Household.id)
        .join(Cadre, Cadre.id == Pairing.cadre_id)
        .where(Cadre.code == cadre.code, Pairing.until.is_(None))
        .where(Household.id.not_in(visited))
        .order_by(Household.code)
        .limit(1)
    )
    assert code is not None, "the cadre persona has no household left to visit today"
    return str(code)


def table_rows(url: str) -> Rows:
    """Every table of the bot, its rows in primary-key order as the bot reads them (the
    models' types: aware UTC times, dates, booleans), so that two backends compare equal."""

    async def read() -> Rows:
        engine = make_engine(async_database_url(url))
        try:
            async with engine.connect() as connection:
                rows: Rows = {}
                for table in Base.metadata.sorted_tables:
                    statement = select(*table.c).order_by(*table.primary_key.columns)
                    rows[table.name] = [tuple(row) for row in await connection.execute(statement)]
                return rows
        finally:
            await engine.dispose()

    return asyncio.run(read())


def assert_filled(rows: Rows) -> None:
    """The filling reached every table it is meant to (else the comparison proves little)."""
    empty = [name for name in FILLED if not rows[name]]
    assert not empty, f"no rows in {empty}"


@contextmanager
def fresh_pg_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database (no schema), dropped after; skipped with the reason
    when no server answers."""
    name = f"cadrebot_test_{prefix}_{secrets.token_hex(4)}"
    try:
        asyncio.run(asyncio.wait_for(pg_admin(f'CREATE DATABASE "{name}"'), timeout=10))
    except Exception as error:  # unreachable server, refused authentication, ...
        server = make_url(PG_ADMIN_URL).render_as_string()
        pytest.skip(f"PostgreSQL unreachable at {server}: {error!r}")
    try:
        yield database_url(name)
    finally:
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def compliance_figures(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str
) -> object:
    """`cadrebot report compliance --format json` on this database: the bot's figures."""
    monkeypatch.setenv("DATABASE_URL", url)
    capsys.readouterr()  # what earlier commands printed
    code, out, _ = run(capsys, "report", "compliance", "--format", "json")
    assert code == 0
    return json.loads(out)
