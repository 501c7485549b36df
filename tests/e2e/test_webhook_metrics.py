"""A webhook replica counts each delivery once, with what became of it: handled, failed
for good, answered 503 for a later delivery, or a redelivery of a finished update."""

from __future__ import annotations

from pathlib import Path

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.chat_locks import LocalChatLocks
from bot.metrics import Metrics
from bot.observing import UpdateMonitor, instrument_bot
from bot.webhook import (
    WEBHOOK_PATH,
    UpdateProcessor,
    WebhookPolicy,
    WebhookRequestHandler,
    WebhookServer,
)
from fakeapi.server import FakeBotAPI
from storage.db import make_engine, make_sessionmaker
from storage.models import Base, ProcessedUpdate
from tests.e2e.conftest import TOKEN
from tests.e2e.test_webhook import ALICE, SECRET, small_dispatcher


async def test_each_delivery_is_counted_with_its_outcome(tmp_path: Path) -> None:
    api = FakeBotAPI(token=TOKEN)
    base_url = await api.start()
    api.webhook.retry_delay = 0.02
    api.webhook.max_retry_delay = 0.05
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/webhook.sqlite3")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all, tables=[ProcessedUpdate.__table__])
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)))
    metrics = Metrics()
    instrument_bot(bot, metrics)
    policy = WebhookPolicy(retry_delays=(0.01,), max_deliveries=3, order_wait=5.0)
    processor = UpdateProcessor(
        bot,
        small_dispatcher([]),
        make_sessionmaker(engine),
        LocalChatLocks(),
        policy,
        monitor=UpdateMonitor(metrics=metrics),
    )
    server = WebhookServer(WebhookRequestHandler(processor, SECRET), "127.0.0.1", 0)
    await bot.set_webhook(await server.start() + WEBHOOK_PATH, secret_token=SECRET)
    try:
        user = api.user(ALICE, "alice")
        echo = user.send_text("/echo hi")
        await api.wait_for_messages(ALICE)
        user.send_text("/boom")  # a bug: failed for good, the person told
        await api.wait_for_messages(ALICE)
        user.send_text("/outage")  # 503, 503, then given up: told
        await api.wait_for_messages(ALICE, timeout=10)
        user.send_text("hello")  # no handler wants it
        await api.webhook.wait_delivered()
        api.redeliver(echo)  # finished before: changes nothing
        await api.webhook.wait_delivered()
    finally:
        await server.stop()
        await bot.session.close()
        await api.stop()
        await engine.dispose()

    def count(outcome: str) -> float | None:
        labels = {"county": "", "kind": "message", "outcome": outcome}
        return metrics.registry.get_sample_value("cadrebot_updates_total", labels)

    assert [count(o) for o in ("ok", "error", "retry", "unhandled", "duplicate")] == [
        1,
        2,
        2,
        1,
        1,
    ]
    timed = {"county": "", "kind": "message"}
    sample = metrics.registry.get_sample_value("cadrebot_update_duration_seconds_count", timed)
    assert sample == 6  # every delivery but the duplicate
    sent = {"county": "", "method": "sendMessage", "result": "ok"}
    assert metrics.registry.get_sample_value("cadrebot_bot_api_requests_total", sent) == 3
