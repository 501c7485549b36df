"""What the monitoring tests share: the bot with its monitoring server, scrapes over HTTP,
and the fake Bot API's own record of calls as the metrics should count them."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.app import build_app, run_polling
from bot.metrics import Metrics
from bot.monitoring import MonitoringServer, app_monitoring
from bot.settings import load_settings
from domain.clock import FixedClock
from fakeapi.server import CallRecord, FakeBotAPI
from tests.e2e.conftest import NOW, TOKEN, Harness, seed_roster
from ui.i18n import Catalogs

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@dataclass
class Monitored:
    harness: Harness
    url: str  # the monitoring server's


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def scrape(url: str) -> Samples:
    """Every sample of /metrics, parsed by prometheus_client's own parser."""
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = await response.text()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; a series not there yet is 0."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def delta(after: Samples, before: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def get_json(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.json()


def api_result(status: int) -> str:
    """The `result` label a call answered with `status` must be counted under."""
    if status == 200:
        return "ok"
    if status in (403, 429):
        return str(status)
    return "5xx" if status >= 500 else "error"


def recorded_calls(calls: Iterable[CallRecord]) -> Counter[tuple[str, str]]:
    """(method, result) of the calls the fake served, long polls left out (one may be in
    flight when the metrics are read)."""
    return Counter(
        (call.method, api_result(call.status)) for call in calls if call.method != "getUpdates"
    )


def counted_calls(after: Samples, before: Samples, county: str = "") -> Counter[tuple[str, str]]:
    """(method, result) of the calls the metrics counted between two scrapes."""
    moved: Counter[tuple[str, str]] = Counter()
    for (name, labels), after_value in after.items():
        found = dict(labels)
        if name != "cadrebot_bot_api_requests_total" or found.get("county") != county:
            continue
        if found["method"] == "getUpdates":
            continue
        change = after_value - before.get((name, labels), 0.0)
        if change:
            moved[(found["method"], found["result"])] = int(change)
    return moved


@contextlib.asynccontextmanager
async def monitored_bot(database_url: str, **overrides: object) -> AsyncIterator[Monitored]:
    """The fake Bot API, the real app with metrics on polling it (no scheduler: the tests
    put outbox rows in themselves), and its monitoring server on a free port."""
    api = FakeBotAPI(token=TOKEN)
    base_url = await api.start()
    settings = load_settings(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=base_url,
        DATABASE_URL=database_url,
        CADREBOT_SCHEDULER="off",
        _env_file=None,
        **overrides,
    )
    clock = FixedClock(NOW)
    app = await build_app(settings, clock=clock, metrics=Metrics())
    async with app.sessionmaker() as session:
        await seed_roster(session)
    server = MonitoringServer(app_monitoring(app, clock, refresh_every=0), "127.0.0.1", 0)
    url = await server.start()
    polling = asyncio.create_task(run_polling(app, handle_signals=False))
    catalogs = Catalogs.load("zh")
    harness = Harness(api, app, clock, catalogs.translator("zh"), catalogs.translator("en"))
    try:
        await api.wait_for_poll()
        yield Monitored(harness, url)
    finally:
        app.poller.stop()
        await asyncio.wait_for(polling, timeout=10)
        await server.stop()
        await app.close()
        await api.stop()
    assert not api.violations, f"the bot sent requests Telegram would refuse: {api.violations}"
    assert not api.rejections, f"Telegram would have answered with errors: {api.rejections}"
