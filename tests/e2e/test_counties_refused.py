"""A county whose bot token Telegram refuses (401: revoked; 404: the bot deleted) is left
out, loudly, and the other counties are served: at start in polling and webhook mode, and
while polling. Nothing more is asked with the refused token, the county's reminders do not
run, /readyz and /metrics name it, and only when every county is refused does `cadrebot
run` end, with 1."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from sqlalchemy import select

from bot.cli.run import run_bot
from bot.county_app import CountiesApp, build_counties_app, run_counties_polling
from bot.county_webhook import run_counties_webhook
from bot.metrics import Metrics
from bot.monitoring import MonitoringServer, counties_monitoring
from bot.webhook import WEBHOOK_PATH
from fakeapi.server import FakeBotAPI
from storage.models import SchedulerLease
from tests.e2e.conftest import CADRE_TG
from tests.e2e.counties import TOKENS, A, B, Counties, counties_database, fake_counties, seed_county
from tests.e2e.monitoring_helpers import get_json, scrape, value
from tests.e2e.test_counties_webhook import SECRET, free_port

STRANGER = 5555
INLINE = {"CADREBOT_SCHEDULER": "inline"}  # each county's reminders in the bot process


def webhook_settings(port: int) -> dict[str, object]:
    return {
        "CADREBOT_MODE": "webhook",
        "CADREBOT_WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "CADREBOT_WEBHOOK_SECRET": SECRET,
        "CADREBOT_WEBHOOK_HOST": "127.0.0.1",
        "CADREBOT_WEBHOOK_PORT": port,
    }


async def built(counties: Counties) -> CountiesApp:
    app = await build_counties_app(counties.settings, clock=counties.clock, metrics=Metrics())
    for county in app.counties:
        await seed_county(county, county.slug)
    counties.app = app
    return app


@contextlib.asynccontextmanager
async def monitored(app: CountiesApp, counties: Counties) -> AsyncIterator[str]:
    """The monitoring server's base URL while the block runs; the app closed after."""
    server = MonitoringServer(
        counties_monitoring(app, counties.clock, refresh_every=0), "127.0.0.1", 0
    )
    base = await server.start()
    try:
        yield base
    finally:
        await server.stop()
        await app.close()


async def lease_rows(counties: Counties, slug: str) -> list[SchedulerLease]:
    async with counties.county(slug).sessionmaker() as session:
        return list(await session.scalars(select(SchedulerLease)))


def holds_lease(app: CountiesApp, slug: str) -> bool:
    """Whether this process's scheduler of the county holds its lease (fires, sends)."""
    reminders = app.county(slug).reminders
    assert reminders is not None
    return reminders.scheduler.holds_lease()


def refusals(api: FakeBotAPI) -> list[tuple[str, int]]:
    return [(call.method, call.status) for call in api.calls if call.status != 200]


def assert_logged_refused(caplog: pytest.LogCaptureFixture, *slugs: str) -> None:
    """One ERROR line per refused county, naming it; no token in any line."""
    for slug in slugs:
        lines = [
            r.getMessage()
            for r in caplog.records
            if r.levelno == logging.ERROR and r.getMessage().startswith(f"county {slug}:")
        ]
        assert len(lines) == 1 and "refused its bot token" in lines[0], lines
    for token in TOKENS.values():
        assert token.split(":")[1] not in caplog.text


async def wait_until(probe: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if probe():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {what} within {timeout} s")


async def assert_shown_refused(base: str, refused: dict[str, str]) -> None:
    """/readyz stays 200 (a county is served) and names the refused; /metrics too."""
    status, body = await get_json(f"{base}/readyz")
    assert status == 200, body
    assert body["checks"]["tokens"] == {"ok": True, "serving": 1, "refused": refused}
    samples = await scrape(base)
    served = {slug: value(samples, "cadrebot_county_served", county=slug) for slug in (A, B)}
    assert served == {slug: 0.0 if slug in refused else 1.0 for slug in (A, B)}


async def test_a_county_refused_at_start_of_polling_is_left_out_and_the_other_served(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with counties_database() as url, fake_counties(url, **INLINE) as counties:
        api_a, api_b = counties.apis[A], counties.apis[B]
        api_b.refuse_token(401)
        app = await built(counties)
        async with monitored(app, counties) as base:
            polling = asyncio.create_task(run_counties_polling(app, handle_signals=False))
            try:
                await api_a.wait_for_poll(timeout=10)
                [help_a] = await counties.say(A, STRANGER, "/help")
                assert help_a["text"]
                welcome = await counties.register(A, CADRE_TG, "C1")
                assert "李明" in welcome["text"]
                assert app.refused == {B: "Unauthorized"}
                # One call with yi's token, refused; nothing after it (no poll, no commands).
                assert [(c.method, c.status) for c in api_b.calls] == [("deleteWebhook", 401)]
                # Reminders: jia's scheduler holds its lease; yi's never started.
                assert holds_lease(app, A)
                assert await lease_rows(counties, B) == []
                await assert_shown_refused(base, {B: "Unauthorized"})
                assert not polling.done()
            finally:
                app.stop_polling()
                await asyncio.wait_for(polling, timeout=10)  # ends without an error
        assert_logged_refused(caplog, B)


async def test_a_county_refused_while_polling_stops_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with counties_database() as url, fake_counties(url, **INLINE) as counties:
        api_a, api_b = counties.apis[A], counties.apis[B]
        app = await built(counties)
        async with monitored(app, counties) as base:
            polling = asyncio.create_task(run_counties_polling(app, handle_signals=False))
            try:
                for api in (api_a, api_b):
                    await api.wait_for_poll(timeout=10)
                assert holds_lease(app, A) and holds_lease(app, B)
                calls_before = len(api_b.calls)
                api_b.refuse_token(404)  # the bot deleted: its parked poll answers 404
                await wait_until(lambda: B in app.refused, "county yi left out")
                assert app.refused == {B: "Not Found"}
                # yi's reminders stopped (its lease given up); jia's run on.
                await wait_until(lambda: not holds_lease(app, B), "yi's reminders stopped")
                assert holds_lease(app, A)
                [help_a] = await counties.say(A, STRANGER, "/help")
                assert help_a["text"]
                assert not polling.done()
                # The refused poll was the last call with yi's token.
                assert api_b.calls[calls_before:] == []
                assert refusals(api_b) == [("getUpdates", 404)]
                await assert_shown_refused(base, {B: "Not Found"})
            finally:
                app.stop_polling()
                await asyncio.wait_for(polling, timeout=10)  # ends without an error
        assert_logged_refused(caplog, B)


async def test_a_county_refused_at_start_of_webhook_mode_is_left_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    port = free_port()
    settings = {**webhook_settings(port), **INLINE}
    async with counties_database() as url, fake_counties(url, **settings) as counties:
        api_a, api_b = counties.apis[A], counties.apis[B]
        api_b.refuse_token(404)
        app = await built(counties)
        stop = asyncio.Event()
        async with monitored(app, counties) as base:
            serving = asyncio.create_task(run_counties_webhook(app, stop=stop))
            try:
                await api_a.wait_for_call("setWebhook", timeout=10)
                welcome = await counties.register(A, CADRE_TG, "C1")
                assert "李明" in welcome["text"]
                assert app.refused == {B: "Not Found"}
                assert [(c.method, c.status) for c in api_b.calls] == [("setMyCommands", 404)]
                assert api_b.webhook.config is None
                # yi's path answers as a path of no county, even with the secret.
                async with (
                    aiohttp.ClientSession() as http,
                    http.post(
                        f"http://127.0.0.1:{port}{WEBHOOK_PATH}/{B}",
                        json={"update_id": 1},
                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                    ) as response,
                ):
                    assert response.status == 404
                await wait_until(lambda: holds_lease(app, A), "jia's reminders")
                assert await lease_rows(counties, B) == []
                await assert_shown_refused(base, {B: "Not Found"})
                assert not serving.done()
            finally:
                stop.set()
                await asyncio.wait_for(serving, timeout=15)
        assert_logged_refused(caplog, B)


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_every_county_refused_ends_run_with_an_error(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    overrides = webhook_settings(free_port()) if mode == "webhook" else {}
    async with counties_database() as url, fake_counties(url, **overrides) as counties:
        for api in counties.apis.values():
            api.refuse_token(401)
        assert await asyncio.wait_for(run_bot(counties.settings, counties.clock), 20) == 1
        first = "setMyCommands" if mode == "webhook" else "deleteWebhook"
        for api in counties.apis.values():
            assert [(c.method, c.status) for c in api.calls] == [(first, 401)]
    assert_logged_refused(caplog, A, B)
    [last] = [r for r in caplog.records if "no county is served" in r.getMessage()]
    assert last.levelno == logging.ERROR
