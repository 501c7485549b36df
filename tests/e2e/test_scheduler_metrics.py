"""`cadrebot scheduler` with CADREBOT_METRICS_PORT: its rule runs, its lease and its
outbox on /metrics, and /readyz (no Redis: the scheduler does not use it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.cli.scheduler import run_deployment
from bot.settings import load_settings
from domain.clock import FixedClock
from domain.reminders import DEFAULT_RULES
from fakeapi.server import FakeBotAPI
from storage.db import open_database
from storage.models import ReminderRule
from tests.e2e.conftest import NOW, TOKEN, seed_roster
from tests.e2e.monitoring_helpers import Samples, free_port, get_json, scrape, value

RUNS = "cadrebot_reminder_rule_runs_total"


async def test_the_scheduler_shows_its_rule_runs_and_its_lease(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/s.sqlite3"
    async with open_database(database) as sessionmaker:
        async with sessionmaker() as session:
            await seed_roster(session)
        async with sessionmaker() as session, session.begin():
            session.add_all(
                ReminderRule(name=r.name, spec=r.to_json(), hour=r.hour, minute=r.minute)
                for r in DEFAULT_RULES
            )
    api = FakeBotAPI(token=TOKEN)
    port = free_port()
    settings = load_settings(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=await api.start(),
        DATABASE_URL=database,
        CADREBOT_METRICS_PORT=port,
        CADREBOT_METRICS_HOST="127.0.0.1",
        _env_file=None,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(run_deployment(settings, FixedClock(NOW), stop))
    url = f"http://127.0.0.1:{port}"
    try:
        samples = await _after_catch_up(url, running)
        for rule in DEFAULT_RULES:  # the start-up catch-up ran each rule once, under the lease
            assert value(samples, RUNS, county="", rule=rule.name, outcome="ok") == 1
            assert value(samples, RUNS, county="", rule=rule.name, outcome="error") == 0
        assert value(samples, "cadrebot_scheduler_lease_held", county="") == 1
        assert value(samples, "cadrebot_outbox_oldest_pending_age_seconds", county="") == 0
        status, body = await get_json(f"{url}/readyz")
        assert status == 200, body
        assert body["leases"] == [{"county": None, "held": True}]
        assert body["checks"]["redis"]["ok"] is True
    finally:
        stop.set()
        assert await asyncio.wait_for(running, timeout=20) == 0
        await api.stop()


async def _after_catch_up(url: str, running: asyncio.Task[int]) -> Samples:
    """/metrics once the start-up catch-up has run every rule (the server starts first)."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        assert not running.done(), running
        try:
            samples = await scrape(url)
        except OSError:  # not listening yet
            samples = {}
        runs = sum(v for (name, _), v in samples.items() if name == RUNS)
        if runs >= len(DEFAULT_RULES):
            return samples
        assert asyncio.get_running_loop().time() < deadline, f"{runs} rule runs seen"
        await asyncio.sleep(0.1)
