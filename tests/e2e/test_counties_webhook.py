"""Two counties served by two webhook replicas (one Redis, one PostgreSQL database): each
county's updates come to its own path on either replica, land in its own schema (visits
and processed-update claims), are answered through its own bot, and one person's guided
flows in both counties' bots, step by step in turn, stay apart (FSM keys and chat locks per bot)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy import func, select

from bot.chat_locks import RedisChatLocks
from bot.county_app import CountiesApp, serves_counties
from bot.county_webhook import county_routes, run_counties_webhook, set_county_webhooks
from bot.settings import load_settings
from bot.webhook import WEBHOOK_PATH, WebhookPolicy, WebhookServer
from storage.models import ProcessedUpdate
from tests.e2e.conftest import CADRE_TG, NOW, OTHER_CADRE_TG
from tests.e2e.counties import (
    A,
    B,
    Counties,
    build_seeded,
    counties_database,
    fake_counties,
    guided_visits_interleaved,
)

REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET = "counties-test-secret"
POLICY = WebhookPolicy(claim_timeout=1.5, order_wait=5.0, retry_delays=(0.2,))


@dataclass
class Replicas:
    counties: Counties
    apps: list[CountiesApp] = field(default_factory=list)
    servers: list[WebhookServer] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)


async def _redis_problem() -> str | None:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    try:
        await asyncio.wait_for(client.ping(), timeout=3)
    except Exception as error:  # noqa: BLE001 - the reason is given with the skip
        return f"Redis unreachable at {REDIS_URL}: {error!r}"
    finally:
        await client.aclose()
    return None


@contextlib.asynccontextmanager
async def two_replicas() -> AsyncIterator[Replicas]:
    problem = await _redis_problem()
    if problem:
        pytest.skip(problem)
    prefix = f"cadrebot-counties-{secrets.token_hex(4)}"
    webhook = {
        "REDIS_URL": REDIS_URL,
        "CADREBOT_MODE": "webhook",
        "CADREBOT_WEBHOOK_URL": "http://127.0.0.1:9",  # the load balancer (the fakes' lists)
        "CADREBOT_WEBHOOK_SECRET": SECRET,
        "CADREBOT_WEBHOOK_MAX_CONNECTIONS": 8,
    }
    async with counties_database() as url, fake_counties(url, **webhook) as counties:
        running = Replicas(counties)
        locks = RedisChatLocks(REDIS_URL, ttl=10, wait=10, prefix=prefix)
        try:
            for index in range(2):
                key_builder = DefaultKeyBuilder(prefix=f"{prefix}-fsm", with_bot_id=True)
                storage = RedisStorage.from_url(REDIS_URL, key_builder=key_builder)
                app = await build_seeded(counties, storage, seed=index == 0)
                running.apps.append(app)
                routes = county_routes(app, counties.settings, locks, POLICY)
                server = WebhookServer(routes, "127.0.0.1", 0, shutdown_timeout=10)
                running.servers.append(server)
                running.urls.append(await server.start())
            counties.app = running.apps[0]
            await set_county_webhooks(running.apps[0])
            for slug, api in counties.apis.items():
                assert api.webhook.config is not None
                assert api.webhook.config.url == f"http://127.0.0.1:9{WEBHOOK_PATH}/{slug}"
                api.webhook.retry_delay = 0.05
                api.webhook.max_retry_delay = 0.3
                api.webhook.balance(
                    [f"{base}{WEBHOOK_PATH}/{slug}" for base in running.urls],
                    per_chat_order=False,
                    shuffle=True,
                    stagger=0.3,
                    seed=7,
                )
            yield running
        finally:
            for server in running.servers:
                await server.stop()
            await locks.close()
            for app in running.apps:
                await app.close()


@pytest.fixture
async def replicas() -> AsyncIterator[Replicas]:
    async with two_replicas() as running:
        yield running


async def _outcomes(counties: Counties, slug: str) -> dict[str, int]:
    async with counties.county(slug).sessionmaker() as session:
        rows = await session.execute(
            select(ProcessedUpdate.outcome, func.count()).group_by(ProcessedUpdate.outcome)
        )
        return {outcome: int(count) for outcome, count in rows.all()}


async def test_two_replicas_serve_two_counties_each_in_its_own_schema(replicas: Replicas) -> None:
    counties = replicas.counties
    api_a, api_b = counties.apis[A], counties.apis[B]
    welcome_a = await counties.register(A, CADRE_TG, "C1")
    welcome_b = await counties.register(B, CADRE_TG, "C1")
    assert "李明" in welcome_a["text"] and "陈静" in welcome_b["text"]
    await counties.register(A, OTHER_CADRE_TG, "C2")

    # A stream of one-line visits to both counties' bots at once, on both replicas.
    expected: dict[str, list[tuple[str, date, str]]] = {A: [], B: []}
    sent = {A: 0, B: 0}
    first = date(2026, 11, 1)
    for offset in range(3):
        day = first + timedelta(days=offset)
        for slug, user_id, cadre, codes in (
            (A, CADRE_TG, "C1", ["H001", "H002"]),
            (A, OTHER_CADRE_TG, "C2", ["H005"]),
            (B, CADRE_TG, "C1", ["H003", "H004"]),
        ):
            for code in codes:
                counties.send(slug, user_id, f"/visit {code} {day.isoformat()}")
                expected[slug].append((code, day, cadre))
                sent[slug] += 1
    await asyncio.gather(api_a.webhook.wait_delivered(60), api_b.webhook.wait_delivered(60))
    for slug in (A, B):
        assert await counties.visits(slug) == sorted(expected[slug])
    replies_a = await api_a.wait_for_messages(CADRE_TG, count=6, timeout=10)
    replies_b = await api_b.wait_for_messages(CADRE_TG, count=6, timeout=10)
    assert all("H003" not in r["text"] and "H004" not in r["text"] for r in replies_a)
    assert all("H001" not in r["text"] and "H002" not in r["text"] for r in replies_b)
    await api_a.wait_for_messages(OTHER_CADRE_TG, count=3, timeout=10)
    assert api_a.unread(CADRE_TG) == [] and api_b.unread(CADRE_TG) == []
    sent_by_b = {call.params["chat_id"] for call in api_b.calls_of("sendMessage")}
    assert sent_by_b == {CADRE_TG}
    # Both replicas served both counties.
    for slug, api in counties.apis.items():
        used = {d.url for d in api.webhook.deliveries if d.status == 200}
        assert used == {f"{base}{WEBHOOK_PATH}/{slug}" for base in replicas.urls}

    # The same person in a guided visit with both bots at once: two flows, both finish.
    [picker_a] = await counties.say(A, CADRE_TG, "/visit")
    [picker_b] = await counties.say(B, CADRE_TG, "/visit")
    done = await guided_visits_interleaved(counties, {A: picker_a, B: picker_b})
    done_a, done_b = done[A], done[B]
    today = NOW.date()
    new_a = [v for v in await counties.visits(A) if v[1] == today]
    new_b = [v for v in await counties.visits(B) if v[1] == today]
    assert len(new_a) == 1 and new_a[0][0] in done_a and new_a[0][2] == "C1"
    assert len(new_b) == 1 and new_b[0][0] in done_b and new_b[0][2] == "C1"

    # Each county's claims are in its own schema: every update it got, done once.
    await asyncio.gather(api_a.webhook.wait_delivered(), api_b.webhook.wait_delivered())
    outcomes = {slug: await _outcomes(counties, slug) for slug in (A, B)}
    for slug, api in counties.apis.items():
        confirmed = set(api.webhook.confirmed)
        assert outcomes[slug] == {"done": len(confirmed)}, (slug, outcomes)


async def test_an_unknown_county_path_is_not_served(replicas: Replicas) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        url = f"{replicas.urls[0]}{WEBHOOK_PATH}/nowhere"
        async with session.post(url, json={"update_id": 1}) as response:
            assert response.status == 404
        # Nor the single-county path: a county deployment serves counties only.
        async with session.post(f"{replicas.urls[0]}{WEBHOOK_PATH}", json={}) as response:
            assert response.status == 404


async def test_run_serves_every_county_on_its_path_and_stops_gracefully(tmp_path: Path) -> None:
    """What `cadrebot run` does in webhook mode with counties (no REDIS_URL: chat locks are
    PostgreSQL advisory locks, per bot)."""
    port = free_port()
    webhook = {
        "CADREBOT_MODE": "webhook",
        "CADREBOT_WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "CADREBOT_WEBHOOK_SECRET": SECRET,
        "CADREBOT_WEBHOOK_HOST": "127.0.0.1",
        "CADREBOT_WEBHOOK_PORT": port,
        "BOT_TOKEN": "700000:ignored-deployment-token",
    }
    async with counties_database() as url, fake_counties(url, **webhook) as counties:
        assert await serves_counties(counties.settings)
        sqlite = load_settings(DATABASE_URL=f"sqlite:///{tmp_path}/one.sqlite3", _env_file=None)
        assert not await serves_counties(sqlite)
        counties.app = await build_seeded(counties)
        stop = asyncio.Event()
        serving = asyncio.create_task(run_counties_webhook(counties.app, stop=stop))
        try:
            for slug, api in counties.apis.items():
                await api.wait_for_call("setWebhook", timeout=10)
                [call] = api.calls_of("setWebhook")
                assert call.params["url"] == f"http://127.0.0.1:{port}{WEBHOOK_PATH}/{slug}"
            # The deployment's BOT_TOKEN is no county's: nothing was asked with it.
            assert await counties.register(A, CADRE_TG, "C1") is not None
            welcome_b = await counties.register(B, CADRE_TG, "C1")
            assert "陈静" in welcome_b["text"]
            [logged] = await counties.say(B, CADRE_TG, "/visit H004 2026-11-27")
            assert "H004" in logged["text"]
            assert await counties.visits(A) == []
            assert await counties.visits(B) == [("H004", date(2026, 11, 27), "C1")]
        finally:
            stop.set()
            await asyncio.wait_for(serving, timeout=15)
            await counties.app.close()
        for api in counties.apis.values():
            assert api.calls_of("deleteWebhook") == [] and api.webhook.active


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
