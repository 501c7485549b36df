"""Harness of a deployment of counties: two counties (`jia`, `yi`), each with its own fake bot
behind one Bot API address (fakeapi.front), the same roster codes in both but different
names, on a fresh PostgreSQL database; the app polls, or serves webhooks, for both. The
tokens are registered encrypted (CADREBOT_TOKEN_KEYS, TOKEN_KEYS) and decrypted at start, as
a deployment with keys has them."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from aiogram.fsm.storage.base import BaseStorage
from cryptography.fernet import Fernet
from sqlalchemy import func, select, update

from bot.county_app import CountiesApp, CountyBot, build_counties_app, run_counties_polling
from bot.settings import Settings, load_settings
from domain.clock import FixedClock
from domain.reminders import DEFAULT_RULES
from fakeapi.front import FakeBotFront
from fakeapi.server import FakeBotAPI
from fakeapi.state import JsonDict
from services.registration import issue_invite
from storage.models import Cadre, Household, HouseholdVisit, ReminderRule
from storage.tenancy import open_county_engine, register_county, tenants
from storage.token_vault import is_sealed
from tests.e2e.conftest import CADRE_TG, NOW, seed_roster
from tests.postgres import PG_ADMIN_URL, database_url, pg_admin

A, B = "jia", "yi"
TOKENS = {A: "710001:county-jia-token", B: "720002:county-yi-token"}
COUNTY_NAMES = {A: "甲县", B: "乙县"}
# The deployment's CADREBOT_TOKEN_KEYS: the tokens are stored encrypted with the first.
TOKEN_KEYS = (Fernet.generate_key().decode(), Fernet.generate_key().decode())
# County yi's cadres and household heads: the same codes as jia's, other people.
B_CADRES = {"C1": "陈静", "C2": "周杰", "C3": "吴磊", "H1": "郑浩", "S1": "孙丽"}


@dataclass
class Counties:
    apis: dict[str, FakeBotAPI]
    front: FakeBotFront
    settings: Settings
    clock: FixedClock
    app: CountiesApp | None = None

    @property
    def running(self) -> CountiesApp:
        assert self.app is not None
        return self.app

    def county(self, slug: str) -> CountyBot:
        return self.running.county(slug)

    async def invite(self, slug: str, cadre_code: str) -> str:
        async with self.county(slug).sessionmaker() as session:
            issued = await issue_invite(session, cadre_code, self.clock, 7)
        return issued.code

    def send(self, slug: str, user_id: int, text: str) -> JsonDict:
        api = self.apis[slug]
        try:
            user = api.get_user(user_id)
        except KeyError:
            user = api.user(user_id, f"user{user_id}")
        return user.send_text(text)

    async def say(self, slug: str, user_id: int, text: str, count: int = 1) -> list[JsonDict]:
        self.send(slug, user_id, text)
        return await self.apis[slug].wait_for_messages(user_id, count=count, timeout=10)

    async def register(self, slug: str, user_id: int, cadre_code: str) -> JsonDict:
        [welcome] = await self.say(slug, user_id, f"/start {await self.invite(slug, cadre_code)}")
        return welcome

    async def visits(self, slug: str) -> list[tuple[str, date, str]]:
        """(household, day, cadre's code) of every visit in the county's tables."""
        async with self.county(slug).sessionmaker() as session:
            rows = await session.execute(
                select(Household.code, HouseholdVisit.visit_date, Cadre.code)
                .join(Household, Household.id == HouseholdVisit.household_id)
                .join(Cadre, Cadre.id == HouseholdVisit.cadre_id)
            )
            return sorted((code, day, cadre) for code, day, cadre in rows.all())

    async def count(self, slug: str, model: type[Any]) -> int:
        async with self.county(slug).sessionmaker() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)

    async def bound_accounts(self, slug: str) -> dict[str, int]:
        async with self.county(slug).sessionmaker() as session:
            rows = await session.execute(
                select(Cadre.code, Cadre.telegram_user_id).where(
                    Cadre.telegram_user_id.is_not(None)
                )
            )
            return {code: int(user_id or 0) for code, user_id in rows.all()}


async def guided_visits_interleaved(
    counties: Counties, pickers: dict[str, JsonDict]
) -> dict[str, str]:
    """In each county's picker in turn: the second household, then today, then confirm, a
    step in one county's bot, the same step in the other's; each final screen's text."""
    screens = dict(pickers)
    for row in (1, 0, 0):  # the household (second row), today (first), confirm (first)
        for slug, screen in screens.items():
            api = counties.apis[slug]
            button = screen["reply_markup"]["inline_keyboard"][row][0]["callback_data"]
            api.get_user(CADRE_TG).press(screen, button)
            screens[slug] = await api.wait_for_edit(CADRE_TG, screen["message_id"], timeout=10)
    return {slug: str(screen["text"]) for slug, screen in screens.items()}


async def seed_county(county: CountyBot, slug: str) -> None:
    """The e2e roster in the county's schema; county yi's people renamed, codes kept."""
    async with county.sessionmaker() as session:
        await seed_roster(session)
    if slug == B:
        async with county.sessionmaker() as session, session.begin():
            for code, name in B_CADRES.items():
                await session.execute(update(Cadre).where(Cadre.code == code).values(name=name))
            await session.execute(
                update(Household).values(
                    head_name=func.replace(Household.head_name, "户主", "住户")
                )
            )
    async with county.sessionmaker() as session, session.begin():
        session.add_all(
            ReminderRule(name=r.name, spec=r.to_json(), hour=r.hour, minute=r.minute, enabled=True)
            for r in DEFAULT_RULES
        )


@contextlib.asynccontextmanager
async def counties_database() -> AsyncIterator[str]:
    """A fresh database with the registry and counties jia and yi (skipped without a server)."""
    name = f"cadrebot_counties_{secrets.token_hex(4)}"
    try:
        await asyncio.wait_for(pg_admin(f'CREATE DATABASE "{name}"'), timeout=10)
    except Exception as error:  # noqa: BLE001 - unreachable server, refused auth, ...
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {error!r}")
    url = database_url(name)
    try:
        engine = await open_county_engine(url)
        try:
            for slug, token in TOKENS.items():
                await register_county(
                    engine,
                    slug=slug,
                    name=COUNTY_NAMES[slug],
                    region="云南省/楚雄州",
                    bot_token=token,
                    keys=TOKEN_KEYS,
                    now=NOW,
                )
            async with engine.connect() as connection:  # what a dump of the registry holds
                stored = (await connection.scalars(select(tenants.c.bot_token))).all()
            assert len(stored) == 2 and all(is_sealed(value) for value in stored)
            assert not set(stored) & set(TOKENS.values())
        finally:
            await engine.dispose()
        yield url
    finally:
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def fake_counties(url: str, **overrides: object) -> AsyncIterator[Counties]:
    """The fake bots behind one front and the deployment's settings (no BOT_TOKEN)."""
    apis = {slug: FakeBotAPI(token=token) for slug, token in TOKENS.items()}
    front = FakeBotFront(apis.values())
    base_url = await front.start()
    settings = load_settings(
        TELEGRAM_API_URL=base_url,
        DATABASE_URL=url,
        _env_file=None,
        **{"CADREBOT_SCHEDULER": "off", "CADREBOT_TOKEN_KEYS": ",".join(TOKEN_KEYS), **overrides},
    )
    try:
        yield Counties(apis, front, settings, FixedClock(NOW))
    finally:
        await front.stop()
    for slug, api in apis.items():
        assert not api.violations, f"{slug}: requests Telegram would refuse: {api.violations}"
        assert not api.rejections, f"{slug}: Telegram would answer errors: {api.rejections}"


async def build_seeded(
    counties: Counties, storage: BaseStorage | None = None, *, seed: bool = True
) -> CountiesApp:
    app = await build_counties_app(counties.settings, clock=counties.clock, fsm_storage=storage)
    if seed:
        for county in app.counties:
            await seed_county(county, county.slug)
    return app


@contextlib.asynccontextmanager
async def polling_counties() -> AsyncIterator[Counties]:
    """Counties jia and yi served by one polling process."""
    async with counties_database() as url, fake_counties(url) as counties:
        counties.app = await build_seeded(counties)
        polling = asyncio.create_task(run_counties_polling(counties.app, handle_signals=False))
        try:
            yield counties
        finally:
            counties.app.stop_polling()
            await asyncio.wait_for(polling, timeout=10)
            await counties.app.close()
