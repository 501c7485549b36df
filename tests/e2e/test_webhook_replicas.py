"""Two webhook replicas behind a load balancer (the fake Bot API posting to both, several
updates in flight at once, a chat's updates on different replicas, chats out of order):
nothing lost, nothing doubled, guided flows continued on the other replica, a redelivered
update changes nothing, and killing one replica mid-stream loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.chat_locks import RedisChatLocks
from bot.settings import load_settings
from bot.webhook import WEBHOOK_PATH, WebhookPolicy, WebhookServer, build_handler, set_webhook
from domain.clock import FixedClock
from fakeapi.server import FakeBotAPI
from fakeapi.state import JsonDict
from services.registration import issue_invite
from storage.models import Household, HouseholdVisit, ProcessedUpdate
from tests.e2e.conftest import (
    CADRE_TG,
    NOW,
    OTHER_CADRE_TG,
    TOKEN,
    seed_roster,
)
from tests.postgres import PG_ADMIN_URL, database_url, pg_admin

REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET = "replica-test-secret"
THIRD_CADRE_TG = 1005
PEOPLE = {CADRE_TG: "C1", OTHER_CADRE_TG: "C2", THIRD_CADRE_TG: "C3"}
HOUSEHOLDS = {CADRE_TG: ["H001", "H002", "H003", "H004"], OTHER_CADRE_TG: ["H005", "H006"]}
HOUSEHOLDS[THIRD_CADRE_TG] = ["H007", "H008"]
# Short enough for a test: a dead replica's claim is taken over after 1.5 s.
POLICY = WebhookPolicy(claim_timeout=1.5, order_wait=5.0, retry_delays=(0.2,))


STAGGER = 0.3


@dataclass
class Replica:
    app: App
    server: WebhookServer
    url: str
    alive: bool = True


@dataclass
class Cluster:
    api: FakeBotAPI
    replicas: list[Replica]
    sent: dict[int, list[JsonDict]] = field(default_factory=dict)

    @property
    def sessionmaker(self) -> Any:
        return self.replicas[0].app.sessionmaker

    def send(self, user_id: int, text: str) -> JsonDict:
        update = self.api.get_user(user_id).send_text(text)
        self.sent.setdefault(user_id, []).append(update)
        return update

    async def visit_keys(self) -> list[tuple[str, date]]:
        async with self.sessionmaker() as session:
            rows = await session.execute(
                select(Household.code, HouseholdVisit.visit_date).join(Household)
            )
            return sorted((code, day) for code, day in rows.all())

    async def outcomes(self) -> dict[str, int]:
        async with self.sessionmaker() as session:
            rows = await session.execute(
                select(ProcessedUpdate.outcome, func.count()).group_by(ProcessedUpdate.outcome)
            )
            return {outcome: int(count) for outcome, count in rows.all()}


async def _redis_up() -> str | None:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    try:
        await asyncio.wait_for(client.ping(), timeout=3)
    except Exception as error:  # noqa: BLE001 - the reason is printed with the skip
        return f"Redis unreachable at {REDIS_URL}: {error!r}"
    finally:
        await client.aclose()
    return None


@contextlib.asynccontextmanager
async def cluster(count: int = 2) -> AsyncIterator[Cluster]:
    """`count` replicas on one fresh PostgreSQL database and one Redis, behind the fake."""
    problem = await _redis_up()
    if problem:
        print(problem)
        pytest.skip(problem)
    name = f"cadrebot_webhook_{secrets.token_hex(4)}"
    try:
        await asyncio.wait_for(pg_admin(f'CREATE DATABASE "{name}"'), timeout=10)
    except Exception as error:  # noqa: BLE001 - unreachable server, refused auth, ...
        print(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {error!r}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {error!r}")
    prefix = f"cadrebot-test-{secrets.token_hex(4)}"
    api = FakeBotAPI(token=TOKEN)
    base_url = await api.start()
    api.webhook.retry_delay = 0.05
    api.webhook.max_retry_delay = 0.3
    settings = load_settings(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=base_url,
        DATABASE_URL=database_url(name),
        REDIS_URL=REDIS_URL,
        CADREBOT_MODE="webhook",
        CADREBOT_WEBHOOK_URL="http://127.0.0.1:9",  # the load balancer (the fake's list)
        CADREBOT_WEBHOOK_SECRET=SECRET,
        CADREBOT_WEBHOOK_MAX_CONNECTIONS=8,
        CADREBOT_SCHEDULER="off",
        _env_file=None,
    )
    replicas: list[Replica] = []
    try:
        for _ in range(count):
            storage = RedisStorage.from_url(
                REDIS_URL, key_builder=DefaultKeyBuilder(prefix=f"{prefix}-fsm")
            )
            app = await build_app(settings, clock=FixedClock(NOW), fsm_storage=storage)
            locks = RedisChatLocks(REDIS_URL, ttl=10, wait=10, prefix=prefix)
            handler = build_handler(
                app.bot, app.dispatcher, app.sessionmaker, settings, locks=locks, policy=POLICY
            )
            server = WebhookServer(handler, "127.0.0.1", 0, shutdown_timeout=10)
            replicas.append(Replica(app, server, await server.start() + WEBHOOK_PATH))
        first = replicas[0].app
        async with first.sessionmaker() as session:
            await seed_roster(session)
        await set_webhook(first.bot, first.dispatcher, settings)
        # Two updates of one chat in flight at once on different replicas, the later one
        # first posted STAGGER after the earlier (as Telegram sends a chat's updates in order):
        # order across replicas holds because the earlier update's claim is what the later
        # one waits for. (The fake once staggered only within one scheduling pass, so a later
        # update could be posted first: a CI run caught it.)
        api.webhook.balance(
            [replica.url for replica in replicas],
            per_chat_order=False,
            shuffle=True,
            stagger=STAGGER,
            seed=7,
        )
        yield Cluster(api, replicas)
    finally:
        for replica in replicas:
            if replica.alive:
                await replica.server.stop()
            await replica.server.handler.processor.locks.close()
            await replica.app.close()
        await api.stop()
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert not api.violations, f"the bot sent requests Telegram would refuse: {api.violations}"
    assert not api.rejections, f"Telegram would have answered with errors: {api.rejections}"


async def register_all(running: Cluster) -> None:
    for user_id, code in PEOPLE.items():
        async with running.sessionmaker() as session:
            issued = await issue_invite(session, code, FixedClock(NOW), 7)
        running.api.user(user_id, f"user{user_id}")
        running.send(user_id, f"/start {issued.code}")
    await running.api.webhook.wait_delivered(timeout=20)
    for user_id in PEOPLE:
        await running.api.wait_for_messages(user_id, count=1)


def one_liners(running: Cluster, days: range) -> list[tuple[int, str, date]]:
    """Queue a one-line /visit per household and day for every person; all at once."""
    queued = []
    first = date(2026, 11, 1)
    for offset in days:
        for user_id, codes in HOUSEHOLDS.items():
            for code in codes:
                day = first + timedelta(days=offset)
                running.send(user_id, f"/visit {code} {day.isoformat()}")
                queued.append((user_id, code, day))
    return queued


def reply_mentions(reply: JsonDict, code: str, day: date) -> bool:
    return code in reply["text"] and f"{day.year}年{day.month}月{day.day}日" in reply["text"]


@pytest.fixture
async def replicas() -> AsyncIterator[Cluster]:
    async with cluster() as running:
        await register_all(running)
        yield running


async def test_two_replicas_lose_nothing_double_nothing_and_keep_each_chat_in_order(
    replicas: Cluster,
) -> None:
    api = replicas.api
    queued = one_liners(replicas, range(3))
    # A guided visit in the middle of the stream: its steps land on alternating replicas.
    picker_update = replicas.send(CADRE_TG, "/visit")
    await api.webhook.wait_delivered(timeout=60)

    expected = [(u, c, d) for u, c, d in queued]
    assert await replicas.visit_keys() == sorted((c, d) for _, c, d in expected)
    for user_id in HOUSEHOLDS:
        mine = [(c, d) for u, c, d in expected if u == user_id]
        count = len(mine) + (1 if user_id == CADRE_TG else 0)
        replies = await api.wait_for_messages(user_id, count=count, timeout=10)
        assert api.unread(user_id) == [], "a reply came twice"
        # In the order sent: each reply answers the visit sent at its place.
        assert all(reply_mentions(r, c, d) for r, (c, d) in zip(replies, mine, strict=False)), (
            [r["text"][:60] for r in replies],
            mine,
        )
    picker = api.messages_to(CADRE_TG)[-1]
    assert "reply_markup" in picker

    # Updates went to both replicas, a chat's updates too.
    by_update = {d.update_id: d.url for d in api.webhook.deliveries if d.status == 200}
    chat_urls = {by_update[u["update_id"]] for u in replicas.sent[CADRE_TG][1:]}
    assert chat_urls == {r.url for r in replicas.replicas}

    # The guided flow, each tap on whichever replica the balancer picks: both are used.
    user = api.get_user(CADRE_TG)
    taps = [user.press(picker, picker["reply_markup"]["inline_keyboard"][1][0]["callback_data"])]
    dated = await api.wait_for_edit(CADRE_TG, picker["message_id"], timeout=10)
    taps.append(user.press(dated, dated["reply_markup"]["inline_keyboard"][0][0]["callback_data"]))
    confirm = await api.wait_for_edit(CADRE_TG, picker["message_id"], timeout=10)
    keyboard = confirm["reply_markup"]["inline_keyboard"]
    taps.append(user.press(confirm, keyboard[0][0]["callback_data"]))
    done = await api.wait_for_edit(CADRE_TG, picker["message_id"], timeout=10)
    assert "H002" in done["text"]
    await api.webhook.wait_delivered()
    flow = [picker_update, *taps]
    urls = [d.url for u in flow for d in api.webhook.deliveries if d.update_id == u["update_id"]]
    assert len(set(urls)) == 2, f"the flow stayed on one replica: {urls}"
    assert ("H002", date(2026, 11, 28)) in await replicas.visit_keys()

    # Telegram delivers an answered update again: answered, nothing changes.
    before = await replicas.visit_keys()
    posted = len(api.webhook.deliveries)
    api.redeliver(queued_update(replicas, CADRE_TG, 1))
    await api.webhook.wait_delivered()
    assert len(api.webhook.deliveries) == posted + 1
    assert api.webhook.deliveries[-1].status == 200
    await asyncio.sleep(0.2)
    assert api.unread(CADRE_TG) == []
    assert await replicas.visit_keys() == before
    assert (await replicas.outcomes()).keys() == {"done"}


def queued_update(running: Cluster, user_id: int, index: int) -> JsonDict:
    return running.sent[user_id][index]


async def test_killing_a_replica_mid_stream_loses_nothing(replicas: Cluster) -> None:
    api = replicas.api
    dead = replicas.replicas[0]
    queued = one_liners(replicas, range(4))
    # Let some of the stream through, then kill the first replica where it stands.
    await api._wait(  # noqa: SLF001 - the fake's own wait helper
        lambda: True if len(api.webhook.confirmed) >= 3 + 12 else None,
        20,
        lambda: "expected some of the stream answered",
    )
    await dead.server.abort()
    dead.alive = False
    await api.webhook.wait_delivered(timeout=60)

    assert await replicas.visit_keys() == sorted((c, d) for _, c, d in queued)
    killed = {d.update_id for d in api.webhook.deliveries if d.url == dead.url and d.status is None}
    for user_id in HOUSEHOLDS:
        mine = [(c, d) for u, c, d in queued if u == user_id]
        replies = await api.wait_for_messages(user_id, count=len(mine), timeout=10)
        extra = api.unread(user_id)
        # A reply sent just before the kill may come again (the visit is not doubled:
        # "already logged"), only for an update cut off on the dead replica.
        assert len(extra) <= len(killed)
        texts = [r["text"] for r in replies + extra]
        for code, day in mine:
            assert any(reply_mentions({"text": t}, code, day) for t in texts), (code, day)
    outcomes = await replicas.outcomes()
    assert set(outcomes) == {"done"}, outcomes
