"""`cadrebot run` in webhook mode forgets processed updates past
CADREBOT_UPDATE_LOG_RETENTION_DAYS at start and again while it serves (not only at start),
and keeps the recent ones, its own new records included."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_app
from bot.settings import load_settings
from bot.webhook import WebhookPolicy, run_webhook
from domain.clock import FixedClock
from fakeapi.server import FakeBotAPI
from storage.models import ProcessedUpdate
from tests.e2e.conftest import NOW, TOKEN
from tests.e2e.test_webhook import SECRET, free_port

ALICE = 2201


async def _add(sessionmaker: async_sessionmaker[AsyncSession], update_id: int, days: int) -> None:
    async with sessionmaker() as session, session.begin():
        claimed = datetime.now(UTC) - timedelta(days=days)
        session.add(
            ProcessedUpdate(
                update_id=update_id, chat_id=1, outcome="done", attempts=1, claimed_at=claimed
            )
        )


async def _ids(sessionmaker: async_sessionmaker[AsyncSession]) -> set[int]:
    async with sessionmaker() as session:
        return set((await session.execute(select(ProcessedUpdate.update_id))).scalars())


async def test_the_webhook_replica_purges_its_update_log_while_it_serves(tmp_path: Path) -> None:
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
        CADREBOT_SCHEDULER="off",
        CADREBOT_UPDATE_LOG_RETENTION_DAYS=3,
        _env_file=None,
    )
    app = await build_app(settings, clock=FixedClock(NOW))
    await _add(app.sessionmaker, 1, days=5)  # past the 3 days kept: gone at start
    await _add(app.sessionmaker, 2, days=2)  # within: kept
    stop = asyncio.Event()
    serving = asyncio.create_task(
        run_webhook(app, stop=stop, policy=WebhookPolicy(purge_every=0.1))
    )
    try:
        await api.wait_for_call("setWebhook", timeout=10)
        assert await _ids(app.sessionmaker) == {2}
        api.user(ALICE, "alice").send_text("/help")
        await api.wait_for_messages(ALICE, timeout=10)
        handled = await _ids(app.sessionmaker) - {2}
        assert len(handled) == 1  # the /help update's own record

        await _add(app.sessionmaker, 3, days=4)  # past retention, while the replica serves
        async with asyncio.timeout(10):  # the next turn (0.1 s) forgets it
            while 3 in await _ids(app.sessionmaker):
                await asyncio.sleep(0.02)
        assert await _ids(app.sessionmaker) == {2, *handled}
    finally:
        stop.set()
        await asyncio.wait_for(serving, timeout=15)
        await app.close()
        await api.stop()
