"""`cadrebot run` with CADREBOT_LOG_FORMAT=json, in a subprocess: every line of its output
is one JSON object, each update has its summary line (update, chat, handler, duration,
outcome), and neither the token nor a phone number nor a child's name appears, even when
Telegram's own error text holds them. Its monitoring server answers as well."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import update

from domain.clock import FixedClock
from fakeapi.server import FakeBotAPI
from services.registration import issue_invite
from storage.db import open_database
from storage.models import Cadre
from tests.e2e.conftest import CADRE_TG, NOW, seed_roster
from tests.e2e.monitoring_helpers import free_port, get_json, scrape, value

ROOT = Path(__file__).resolve().parents[2]
# A token of Telegram's shape (the redaction looks for that shape).
TOKEN = "7123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw8"
SECRETS = ("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw8", "13912345678", "13800001111", "13700001234")
CHILD = "张小明"
RUN = "import sys; from bot.cli import main; sys.exit(main(['run']))"


async def test_json_lines_with_the_update_fields_and_nothing_secret(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3"
    async with open_database(database) as sessionmaker:
        async with sessionmaker() as session:
            await seed_roster(session)
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(Cadre).where(Cadre.code == "C1").values(phone="13700001234")
            )
        async with sessionmaker() as session:
            invite = await issue_invite(session, "C1", FixedClock(NOW), 7)
    api = FakeBotAPI(token=TOKEN)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADREBOT_")}
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=await api.start(),
        DATABASE_URL=database,
        CADREBOT_LOG_FORMAT="json",
        CADREBOT_METRICS_PORT=str(port),
        CADREBOT_METRICS_HOST="127.0.0.1",
        CADREBOT_QUIET_HOURS="off",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    env.pop("REDIS_URL", None)
    log = tmp_path / "bot.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", RUN, cwd=tmp_path, env=env, stdout=out, stderr=out
        )
    try:
        await api.wait_for_poll(timeout=60)
        user = api.user(CADRE_TG, "李明")
        for text in (
            f"/start {invite.code}",
            f"/visit H001 2026-11-27 电话13912345678 孩子{CHILD}辍学了",
            "/visit H005 2026-11-27",
        ):
            user.send_text(text)
            await api.wait_for_messages(CADRE_TG, timeout=20)
        # Telegram's error text holding the token and a number: logged, redacted.
        api.fail_next(
            "sendMessage",
            502,
            chat_id=CADRE_TG,
            description=f"Bad Gateway: upstream bot{TOKEN} for 13800001111",
        )
        user.send_text("/visit H002 2026-11-27")
        await api.wait_for_messages(CADRE_TG, timeout=20)
        await api.wait_idle(timeout=20)
        assert await get_json(f"http://127.0.0.1:{port}/healthz") == (200, {"alive": True})
        status, body = await get_json(f"http://127.0.0.1:{port}/readyz")
        assert status == 200, body
        samples = await scrape(f"http://127.0.0.1:{port}")
        ok = {"county": "", "kind": "message", "outcome": "ok"}
        assert value(samples, "cadrebot_updates_total", **ok) == 3
        refused = {**ok, "outcome": "refused"}
        assert value(samples, "cadrebot_updates_total", **refused) == 1
        failed = {"county": "", "method": "sendMessage", "result": "5xx"}
        assert value(samples, "cadrebot_bot_api_requests_total", **failed) == 1
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), timeout=30)
        await api.stop()
    output = log.read_text(encoding="utf-8")
    assert code == 0, output[-3000:]

    lines: list[dict[str, Any]] = [json.loads(line) for line in output.splitlines()]
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line), line
    summaries = [line for line in lines if line["logger"] == "bot.updates"]
    assert [s["outcome"] for s in summaries] == ["ok", "ok", "refused", "ok"]
    for summary in summaries:
        assert summary["level"] == "INFO"
        assert summary["chat_id"] == CADRE_TG and summary["update_kind"] == "message"
        assert isinstance(summary["update_id"], int)
        assert isinstance(summary["duration_ms"], int | float) and summary["duration_ms"] >= 0
        assert summary["handler"]
    assert [s.get("cadre_code") for s in summaries] == [None, "C1", "C1", "C1"]
    assert len({s["update_id"] for s in summaries}) == 4
    # The retried reply's warning: within its update, Telegram's words redacted.
    [retried] = [line for line in lines if "Bad Gateway" in line["message"]]
    assert retried["level"] == "WARNING" and retried["update_id"] == summaries[-1]["update_id"]
    assert "<token>" in retried["message"] and "<phone>" in retried["message"]
    for secret in (*SECRETS, CHILD):
        assert secret not in output
