"""End-to-end harness: the real Dispatcher polls our fake Bot API server over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from aiogram.fsm.storage.base import BaseStorage
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App, build_app, run_polling
from bot.settings import load_settings
from domain.clock import FixedClock
from fakeapi.server import FakeBotAPI
from services.registration import issue_invite
from storage.models import (
    Cadre,
    Campaign,
    Household,
    HouseholdVisit,
    InviteAttempt,
    Milestone,
    Pairing,
    Task,
    Township,
    Unit,
    Village,
)
from tests.postgres import PG_ADMIN_URL, database_url, pg_admin
from ui.i18n import Catalogs, Translator

TOKEN = "123456:TEST-token-for-the-fake-server"
# 10:00 in Shanghai on 2026-11-28 (02:00 UTC): Q4, late November.
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)

# Telegram user ids of the people in the tests.
CADRE_TG, OTHER_CADRE_TG, HEAD_TG, SUPERVISOR_TG, STRANGER_TG = 1001, 1002, 1003, 1004, 1999


@dataclass
class Harness:
    api: FakeBotAPI
    app: App
    clock: FixedClock
    zh: Translator
    en: Translator

    async def session(self) -> AsyncSession:
        return self.app.sessionmaker()

    async def visits(self, household_code: str | None = None) -> list[HouseholdVisit]:
        async with self.app.sessionmaker() as session:
            statement = select(HouseholdVisit).order_by(HouseholdVisit.id)
            if household_code:
                statement = statement.join(Household).where(Household.code == household_code)
            return list((await session.execute(statement)).scalars())

    async def household_ids(self) -> dict[str, int]:
        """Each household's id by its code."""
        async with self.app.sessionmaker() as session:
            return dict((await session.execute(select(Household.code, Household.id))).all())

    async def count(self, model: type[Any]) -> int:
        async with self.app.sessionmaker() as session:
            return int(
                (await session.execute(select(func.count()).select_from(model))).scalar_one()
            )

    async def count_attempts(self) -> int:
        return await self.count(InviteAttempt)

    async def invite(self, cadre_code: str) -> str:
        async with self.app.sessionmaker() as session:
            issued = await issue_invite(session, cadre_code, self.clock, 7)
        return issued.code

    async def say(self, user_id: int, text: str, count: int = 1) -> list[dict[str, Any]]:
        """Send text as the user and return the bot's next `count` messages to them."""
        try:
            user = self.api.get_user(user_id)
        except KeyError:
            user = self.api.user(user_id, f"user{user_id}")
        user.send_text(text)
        return await self.api.wait_for_messages(user_id, count=count)

    async def register(self, user_id: int, cadre_code: str, language: str = "zh") -> None:
        code = await self.invite(cadre_code)
        self.api.user(user_id, f"user{user_id}", language_code=language).send_text(f"/start {code}")
        await self.api.wait_for_messages(user_id, count=1)

    async def register_all(self, people: dict[int, str]) -> None:
        """Register each Telegram user as the cadre of the code given, in order, in Chinese."""
        for user_id, cadre_code in people.items():
            await self.register(user_id, cadre_code)

    async def say_each(self, user_id: int, *texts: str) -> None:
        """Send each text as the user in turn, waiting for the bot's one reply to each."""
        for text in texts:
            await self.say(user_id, text)


async def seed_roster(session: AsyncSession) -> None:
    """A small county: two townships, two units, cadres of every role, eight households."""
    since = datetime(2026, 1, 1, tzinfo=UTC)
    async with session.begin():
        east = Township(code="T1", name="栋川镇")
        west = Township(code="T2", name="光禄镇")
        session.add_all([east, west])
        await session.flush()
        v1 = Village(code="V1", name="大村", township_id=east.id, poor=True)
        v2 = Village(code="V2", name="小村", township_id=west.id, poor=True)
        session.add_all([v1, v2])
        section = Unit(code="JYG", name="教育股", kind="section")
        school = Unit(code="CS1", name="栋川中心校", kind="central_school", township_id=east.id)
        office = Unit(code="BGS", name="局办公室", kind="office")
        session.add_all([section, school, office])
        await session.flush()
        cadres = {
            "C1": Cadre(code="C1", name="李明", unit_id=section.id, role="cadre"),
            "C2": Cadre(code="C2", name="王芳", unit_id=section.id, role="cadre"),
            "C3": Cadre(code="C3", name="赵强", unit_id=school.id, role="cadre"),
            "H1": Cadre(code="H1", name="张伟", unit_id=section.id, role="unit_head"),
            "S1": Cadre(code="S1", name="刘洋", unit_id=office.id, role="supervisor"),
        }
        session.add_all(cadres.values())
        await session.flush()
        holders = {
            "H001": ("C1", v1),
            "H002": ("C1", v1),
            "H003": ("C1", v2),
            "H004": ("C1", v2),
            "H005": ("C2", v1),
            "H006": ("C2", v2),
            "H007": ("C3", v1),
            "H008": ("C3", v1),
        }
        for number, (code, (cadre_code, village)) in enumerate(sorted(holders.items()), 1):
            household = Household(
                code=code, village_id=village.id, head_name=f"户主{number}", size=4
            )
            session.add(household)
            await session.flush()
            session.add(
                Pairing(cadre_id=cadres[cadre_code].id, household_id=household.id, since=since)
            )
        campaign = Campaign(
            plan_year=2026,
            number=5,
            title_zh="挂包帮转走访",
            title_en="Pair, help, visit",
            leader="法建辉",
        )
        session.add(campaign)
        await session.flush()
        task, other = (
            Task(campaign_id=campaign.id, number=number, title_zh=zh, title_en=en, **duty)
            for number, zh, en, duty in (
                (2, "台账", "Ledgers", {"responsible": "all", "cooperating": ""}),
                (3, "均衡", "Balance", {"responsible": "JHB", "cooperating": "kind:school"}),
            )
        )
        session.add_all([task, other])
        await session.flush()
        session.add_all(
            Milestone(task_id=owner.id, due_date=due, title_zh=title_zh, title_en=title_en)
            for owner, due, title_zh, title_en in (
                (task, date(2026, 11, 30), "完成挂包农户台账", "Complete household ledgers"),
                (task, date(2026, 10, 31), "十月核实", "October check"),
                (other, date(2026, 12, 15), "均衡办任务", "Balance office task"),
            )
        )


@contextlib.asynccontextmanager
async def running_bot(
    database_url: str,
    fsm_storage: BaseStorage | None = None,
    *,
    seed: bool = True,
    **overrides: object,
) -> AsyncIterator[Harness]:
    """Fake Bot API server + the real app on `database_url`, polling until the block ends."""
    api = FakeBotAPI(token=TOKEN)
    base_url = await api.start()
    settings = load_settings(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=base_url,
        DATABASE_URL=database_url,
        _env_file=None,
        **overrides,
    )
    clock = FixedClock(NOW)
    app = await build_app(settings, clock=clock, fsm_storage=fsm_storage)
    if seed:
        async with app.sessionmaker() as session:
            await seed_roster(session)
    polling = asyncio.create_task(run_polling(app, handle_signals=False))
    catalogs = Catalogs.load("zh")
    harness = Harness(api, app, clock, catalogs.translator("zh"), catalogs.translator("en"))
    try:
        yield harness
    finally:
        app.poller.stop()
        await asyncio.wait_for(polling, timeout=10)
        await app.close()
        await api.stop()
    assert not api.violations, f"the bot sent requests Telegram would refuse: {api.violations}"
    assert not api.rejections, f"Telegram would have answered with errors: {api.rejections}"


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(f"sqlite+aiosqlite:///{tmp_path}/e2e.sqlite3") as running:
        yield running


@pytest.fixture
async def pg_harness() -> AsyncIterator[Harness]:
    """The same bot on a fresh PostgreSQL database (skipped, with the reason, if none answers)."""
    name = f"cadrebot_e2e_{secrets.token_hex(4)}"
    try:
        await asyncio.wait_for(pg_admin(f'CREATE DATABASE "{name}"'), timeout=10)
    except Exception as error:  # unreachable server, refused auth, ...
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {error!r}")
    url = database_url(name)
    try:
        async with running_bot(url) as running:
            yield running
    finally:
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
