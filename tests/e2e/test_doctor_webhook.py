"""`cadrebot doctor` in webhook mode asks the (fake) Bot API for the webhook and compares it
with what `cadrebot run` sets: the URL, the update kinds, max_connections; it reports the
pending updates and the last delivery error, and calls Telegram failing while a recent
error leaves updates waiting. In polling mode it does not ask Telegram at all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import build_app
from bot.cli import main
from bot.cli.doctor import run_doctor
from bot.cli.webhook_check import used_update_types
from bot.settings import Settings, load_settings
from bot.telegram import build_bot
from bot.webhook import WEBHOOK_PATH, set_webhook
from domain.clock import SystemClock
from fakeapi.server import FakeBotAPI
from tests.e2e.conftest import TOKEN
from tests.e2e.test_webhook import SECRET, free_port
from tests.integration.test_tenancy import COUNTIES, deployment  # noqa: F401 - a fixture

PUBLIC = "https://bot.example.org"


@dataclass
class Fake:
    api: FakeBotAPI
    base_url: str
    tmp_path: Path

    def settings(self, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": self.base_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.tmp_path}/doctor.sqlite3",
            "CADREBOT_MODE": "webhook",
            "CADREBOT_WEBHOOK_URL": PUBLIC,
            "CADREBOT_WEBHOOK_SECRET": SECRET,
            "CADREBOT_WEBHOOK_MAX_CONNECTIONS": 5,
            "CADREBOT_SCHEDULER": "off",
            "_env_file": None,
        }
        return load_settings(**{**values, **overrides})


@pytest.fixture
async def fake(tmp_path: Path) -> AsyncIterator[Fake]:
    api = FakeBotAPI(token=TOKEN)
    base_url = await api.start()
    api.webhook.retry_delay = 0.02
    api.webhook.max_retry_delay = 0.05
    try:
        yield Fake(api, base_url, tmp_path)
    finally:
        await api.stop()


async def _webhook_line(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """Doctor's exit status, its webhook line and the fix under it (if any)."""
    code = await run_doctor(settings, SystemClock())
    lines = capsys.readouterr().out.splitlines()
    [at] = [i for i, line in enumerate(lines) if line[9:].startswith("webhook ")]
    fix = lines[at + 1].strip() if lines[at + 1].strip().startswith("fix:") else ""
    return code, lines[at], fix


async def _set_as_run_does(settings: Settings) -> None:
    """The replica's own setWebhook call, with the app's Dispatcher."""
    app = await build_app(settings)
    try:
        await set_webhook(app.bot, app.dispatcher, settings)
    finally:
        await app.close()


async def test_doctor_compares_the_webhook_with_the_configured_one(
    fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = fake.settings()
    code, line, fix = await _webhook_line(settings, capsys)
    assert line.startswith("MISSING") and "Telegram has no webhook for this bot" in line
    assert "cadrebot run` with CADREBOT_MODE=webhook" in fix
    assert code == 1

    await _set_as_run_does(settings)
    code, line, fix = await _webhook_line(settings, capsys)
    assert line.startswith("ok"), line
    assert f"Telegram posts to {PUBLIC}{WEBHOOK_PATH};" in line
    assert "0 updates pending; no delivery error" in line and fix == ""
    [info] = fake.api.calls_of("getWebhookInfo")[-1:]
    assert info.status == 200

    # Another URL, fewer update kinds, other connections: each named.
    elsewhere = fake.settings(CADREBOT_WEBHOOK_URL="https://old.example.org")
    await _set_as_run_does(elsewhere)
    code, line, _ = await _webhook_line(settings, capsys)
    assert line.startswith("MISSING")
    assert f"posts to https://old.example.org{WEBHOOK_PATH}, not the configured {PUBLIC}" in line

    await _set_as_run_does(settings)
    bot_settings = fake.settings()
    app = await build_app(bot_settings)
    try:
        await app.bot.set_webhook(
            url=f"{PUBLIC}{WEBHOOK_PATH}",
            secret_token=SECRET,
            allowed_updates=["message"],
            max_connections=40,
        )
    finally:
        await app.close()
    code, line, _ = await _webhook_line(settings, capsys)
    assert line.startswith("MISSING") and "not the configured" not in line
    assert "allowed updates message, the bot uses callback_query, message" in line
    assert "max_connections 40, configured 5" in line


async def test_doctor_reports_a_failing_delivery_and_the_pending_updates(
    fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    # Configured to a port where nothing listens: Telegram's POSTs fail, updates wait.
    url = f"http://127.0.0.1:{free_port()}"
    settings = fake.settings(CADREBOT_WEBHOOK_URL=url)
    await _set_as_run_does(settings)
    fake.api.user(3101, "alice").send_text("/help")
    async with asyncio.timeout(10):
        while fake.api.webhook.last_error_message is None:
            await asyncio.sleep(0.02)
    code, line, fix = await _webhook_line(settings, capsys)
    assert code == 1 and line.startswith("MISSING")
    assert "1 update pending" in line
    assert "FAILING: last delivery error 0 s ago: Connection failed" in line
    assert fix.startswith("fix: Telegram cannot deliver: check that the load balancer")
    # Telegram's answer, as the fake gives it, is a WebhookInfo of the Bot API's schema.
    info = await fake.api.webhook.get_webhook_info({})
    fake.api.schema.validate_object("WebhookInfo", info)
    assert info["last_error_message"].startswith("Connection failed")


async def test_in_polling_mode_doctor_does_not_ask_telegram(
    fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    code, line, _ = await _webhook_line(fake.settings(CADREBOT_MODE="polling"), capsys)
    assert line.startswith("ok") and "not used (CADREBOT_MODE=polling" in line
    assert fake.api.calls == []  # nothing asked: no getWebhookInfo, no getMe
    # Webhook mode without a token to ask with: not checked, not "ok".
    unset = fake.settings(BOT_TOKEN=None)
    code, line, _ = await _webhook_line(unset, capsys)
    assert line.startswith("\u2014") and "no bot token" in line


async def test_a_county_is_checked_on_its_own_bot_and_path(
    deployment: str,  # noqa: F811 - the fixture
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name, region, token = COUNTIES["zhenxiong"]
    token_file = tmp_path / "zhenxiong.token"
    token_file.write_text(token, encoding="utf-8")
    argv = ["tenant", "add", "zhenxiong", "--name", name, "--region", region]
    assert await asyncio.to_thread(main, [*argv, "--token-file", str(token_file)]) == 0
    api = FakeBotAPI(token=token)  # the county's own bot
    base_url = await api.start()
    try:
        settings = load_settings(
            DATABASE_URL=deployment,
            TELEGRAM_API_URL=base_url,
            CADREBOT_MODE="webhook",
            CADREBOT_WEBHOOK_URL=PUBLIC,
            CADREBOT_WEBHOOK_SECRET=SECRET,
            _env_file=None,
        )
        capsys.readouterr()
        code = await run_doctor(settings, SystemClock(), "zhenxiong")
        line = _line(capsys.readouterr().out)
        path = f"{PUBLIC}{WEBHOOK_PATH}/zhenxiong"
        assert line.startswith("MISSING") and f"({path} is configured)" in line
        bot = build_bot(settings, token)
        try:
            await bot.set_webhook(
                url=path, secret_token=SECRET, allowed_updates=used_update_types()
            )
        finally:
            await bot.session.close()
        code = await run_doctor(settings, SystemClock(), "zhenxiong")
        line = _line(capsys.readouterr().out)
        assert line.startswith("ok") and f"Telegram posts to {path};" in line, line
        assert code == 1  # the county has no roster yet: other steps are missing
    finally:
        await api.stop()


def _line(out: str) -> str:
    [line] = [line for line in out.splitlines() if line[9:].startswith("webhook ")]
    return line
