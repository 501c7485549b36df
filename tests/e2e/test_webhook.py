"""One webhook replica: the secret header, the failure policy (a bug fails for good at once, an
outage after a few deliveries, the person told once, the chat's later updates go on), and
`cadrebot run` in webhook mode against the fake Bot API (setWebhook, 409 on getUpdates, a
graceful stop that leaves the webhook set for the other replicas)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy import select

from bot.app import build_app
from bot.chat_locks import LocalChatLocks
from bot.settings import load_settings
from bot.webhook import (
    SECRET_HEADER,
    WEBHOOK_PATH,
    UpdateProcessor,
    WebhookPolicy,
    WebhookRequestHandler,
    WebhookServer,
    run_webhook,
)
from domain.clock import FixedClock
from fakeapi.server import FakeBotAPI
from storage.db import make_engine, make_sessionmaker
from storage.models import Base, ProcessedUpdate
from tests.e2e.conftest import NOW, TOKEN
from ui.i18n import Catalogs
from ui.views.failure import NOTHING_SAVED

SECRET = "s3cret_token-1"
ALICE = 2101
ZH = Catalogs.load("zh").translator("zh")


@dataclass
class Replica:
    api: FakeBotAPI
    server: WebhookServer
    url: str
    outages: list[int]
    sessionmaker: object

    async def outcome(self, update_id: int) -> tuple[str, int] | None:
        async with self.sessionmaker() as session:  # type: ignore[operator]
            row = (
                await session.execute(
                    select(ProcessedUpdate.outcome, ProcessedUpdate.attempts).where(
                        ProcessedUpdate.update_id == update_id
                    )
                )
            ).one_or_none()
        return None if row is None else (row[0], row[1])


def small_dispatcher(outages: list[int]) -> Dispatcher:
    router = Router()

    @router.message(Command("boom"))
    async def boom(_message: Message) -> None:
        raise ValueError("a bug")

    @router.message(Command("outage"))
    async def outage(_message: Message) -> None:
        outages.append(1)
        raise ConnectionError("the database went away")

    @router.message(Command("echo"))
    async def echo(message: Message, command: CommandObject) -> None:
        await message.answer(command.args or "")

    dispatcher = Dispatcher(catalogs=Catalogs.load("zh"))
    dispatcher.include_router(router)
    return dispatcher


@contextlib.asynccontextmanager
async def replica(tmp_path: Path) -> AsyncIterator[Replica]:
    """A replica of a small dispatcher on SQLite, the fake's webhook pointed at it."""
    api = FakeBotAPI(token=TOKEN)
    base_url = await api.start()
    api.webhook.retry_delay = 0.02
    api.webhook.max_retry_delay = 0.05
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/webhook.sqlite3")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all, tables=[ProcessedUpdate.__table__])
    sessionmaker = make_sessionmaker(engine)
    session = AiohttpSession(api=TelegramAPIServer.from_base(base_url))
    bot = Bot(TOKEN, session=session)
    outages: list[int] = []
    policy = WebhookPolicy(retry_delays=(0.01,), max_deliveries=3, order_wait=5.0)
    processor = UpdateProcessor(
        bot, small_dispatcher(outages), sessionmaker, LocalChatLocks(), policy
    )
    server = WebhookServer(WebhookRequestHandler(processor, SECRET), "127.0.0.1", 0)
    url = await server.start() + WEBHOOK_PATH
    await bot.set_webhook(url, secret_token=SECRET)
    try:
        yield Replica(api, server, url, outages, sessionmaker)
    finally:
        await server.stop()
        await bot.session.close()
        await api.stop()
        await engine.dispose()


async def post(url: str, body: dict[str, object], secret: str | None) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with aiohttp.ClientSession() as client, client.post(url, json=body, headers=headers) as r:
        return r.status


async def test_a_request_without_the_secret_is_refused_and_nothing_handled(
    tmp_path: Path,
) -> None:
    async with replica(tmp_path) as running:
        running.api.user(ALICE, "alice")
        update = {
            "update_id": 777,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": ALICE, "type": "private"},
                "from": {"id": ALICE, "is_bot": False, "first_name": "a"},
                "text": "/echo forged",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
        assert await post(running.url, update, "wrong") == 403
        assert await post(running.url, update, None) == 403
        await asyncio.sleep(0.1)
        assert running.api.messages_to(ALICE) == []
        assert await running.outcome(777) is None
        assert await post(running.url, update, SECRET) == 200  # the right one is handled
        [reply] = await running.api.wait_for_messages(ALICE)
        assert reply["text"] == "forged"


async def test_a_bug_fails_for_good_once_and_a_redelivery_changes_nothing(
    tmp_path: Path,
) -> None:
    async with replica(tmp_path) as running:
        user = running.api.user(ALICE, "alice")
        update = user.send_text("/boom")
        [notice] = await running.api.wait_for_messages(ALICE)
        assert notice["text"] == ZH(NOTHING_SAVED)
        await running.api.webhook.wait_delivered()
        assert await running.outcome(update["update_id"]) == ("failed", 0)
        running.api.redeliver(update)
        await running.api.webhook.wait_delivered()
        assert running.api.webhook.deliveries[-1].status == 200
        await asyncio.sleep(0.1)
        assert running.api.unread(ALICE) == []


async def test_an_outage_is_delivered_again_then_given_up_and_the_chat_goes_on(
    tmp_path: Path,
) -> None:
    async with replica(tmp_path) as running:
        user = running.api.user(ALICE, "alice")
        stuck = user.send_text("/outage")
        user.send_text("/echo after")
        notice, after = await running.api.wait_for_messages(ALICE, count=2, timeout=10)
        # Three deliveries answered 503 (two tries each), then failed for good: told once.
        assert notice["text"] == ZH(NOTHING_SAVED)
        assert after["text"] == "after"
        deliveries = running.api.webhook.deliveries
        statuses = [d.status for d in deliveries if d.update_id == stuck["update_id"]]
        assert statuses == [503, 503, 200]
        assert len(running.outages) == 6
        assert await running.outcome(stuck["update_id"]) == ("failed", 3)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_run_in_webhook_mode_sets_the_webhook_serves_and_stops_gracefully(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    api = FakeBotAPI(token=TOKEN)
    base_url = await api.start()
    port = free_port()
    settings = load_settings(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=base_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/run.sqlite3",
        CADREBOT_MODE="webhook",
        CADREBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/",
        CADREBOT_WEBHOOK_SECRET=SECRET,
        CADREBOT_WEBHOOK_HOST="127.0.0.1",
        CADREBOT_WEBHOOK_PORT=port,
        CADREBOT_WEBHOOK_MAX_CONNECTIONS=5,
        CADREBOT_SCHEDULER="off",
        _env_file=None,
    )
    app = await build_app(settings, clock=FixedClock(NOW))
    stop = asyncio.Event()
    serving = asyncio.create_task(run_webhook(app, stop=stop))
    try:
        await api.wait_for_call("setWebhook", timeout=10)
        [call] = api.calls_of("setWebhook")
        assert call.params["url"] == f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
        assert call.params["secret_token"] == SECRET
        assert call.params["max_connections"] == 5
        assert "message" in call.params["allowed_updates"]
        assert call.params.get("drop_pending_updates") in (None, False)
        assert "single replica" in caplog.text or "ONE replica" in caplog.text
        info = await app.bot.get_webhook_info()
        assert info.url == call.params["url"] and info.max_connections == 5
        # While the webhook is set, getUpdates is refused as Telegram does.
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"{base_url}/bot{TOKEN}/getUpdates") as response,
        ):
            assert response.status == 409
        api.user(ALICE, "alice").send_text("/help")
        [reply] = await api.wait_for_messages(ALICE, timeout=10)
        assert reply["text"]
    finally:
        stop.set()
        await asyncio.wait_for(serving, timeout=15)
        await app.close()
    assert api.calls_of("deleteWebhook") == []  # the other replicas still serve
    assert api.webhook.active
    await api.stop()
