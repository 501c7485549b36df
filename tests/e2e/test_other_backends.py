"""The main flows again on PostgreSQL, and guided flows kept in Redis across a restart."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage

from tests.e2e.conftest import CADRE_TG, SUPERVISOR_TG, Harness, running_bot
from ui.refusals import REFUSALS

REDIS_URL = "redis://127.0.0.1:6379/0"


async def test_postgres_register_visit_redeliver_and_report(pg_harness: Harness) -> None:
    harness = pg_harness
    await harness.register(CADRE_TG, "C1")
    update = harness.api.user(CADRE_TG, "user").send_text("/visit H001 2026-11-20 入户")
    [reply] = await harness.api.wait_for_messages(CADRE_TG)
    assert "H001" in reply["text"]
    harness.api.redeliver(update)
    await harness.api.wait_for_messages(CADRE_TG)
    [visit] = await harness.visits()
    assert (visit.visit_date, visit.note) == (date(2026, 11, 20), "入户")

    [refused] = await harness.say(CADRE_TG, "/visit H005")
    assert refused["text"] == harness.zh(REFUSALS["not_your_household"], code="H005")

    await harness.register(SUPERVISOR_TG, "S1")
    [report] = await harness.say(SUPERVISOR_TG, "/compliance 2026-Q4")
    assert "教育股（JYG）：1/6（17%）" in report["text"]


async def _redis_or_skip() -> RedisStorage:
    storage = RedisStorage.from_url(
        REDIS_URL, key_builder=DefaultKeyBuilder(prefix=f"cadrebot-test-{secrets.token_hex(4)}")
    )
    try:
        await storage.redis.ping()
    except Exception as error:  # no server
        await storage.close()
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {error!r}")
    return storage


async def test_guided_visit_survives_a_restart_with_redis(tmp_path: Path) -> None:
    storage = await _redis_or_skip()
    url = f"sqlite+aiosqlite:///{tmp_path}/redis.sqlite3"
    try:
        async with running_bot(url, fsm_storage=storage) as first:
            await first.register(CADRE_TG, "C1")
            [picker] = await first.say(CADRE_TG, "/visit")
            first.api.user(CADRE_TG, "u").press(
                picker, picker["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            )
            dated = await first.api.wait_for_edit(CADRE_TG, picker["message_id"])
            first.api.user(CADRE_TG, "u").press(
                dated, dated["reply_markup"]["inline_keyboard"][1][1]["callback_data"]
            )
            await first.api.wait_for_edit(CADRE_TG, picker["message_id"])
        # A new process (new fake server, same database and Redis): the flow goes on.
        second_storage = RedisStorage(storage.redis, key_builder=storage.key_builder)
        async with running_bot(url, fsm_storage=second_storage, seed=False) as second:
            [confirm] = await second.say(CADRE_TG, "2026-11-25")
            assert "2026年11月25日" in confirm["text"]
            second.api.user(CADRE_TG, "u").press(
                confirm, confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            )
            await second.api.wait_for_edit(CADRE_TG, confirm["message_id"])
            [visit] = await second.visits()
            assert visit.visit_date == date(2026, 11, 25)
    finally:
        await storage.redis.aclose()
