"""The sandbox as `cadrebot run` sets it up (demo county, plan, personas bound by invite): the
central school persona receives the case the cadre persona reports, so the school's side of
a dropout case can be played without being the supervisor."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.app import build_app, run_polling
from bot.sandbox import SCHOOL_ID, bind_personas, demo_personas, prepare_demo_database
from bot.settings import load_settings
from domain.clock import FixedClock
from fakeapi.server import FakeBotAPI
from services.demo.county import DEMO_PERSONAS
from storage.models import Cadre, Household, Pairing
from tests.e2e.conftest import NOW, TOKEN

CHILD = "沙盒测试娃"


async def _message_with(api: FakeBotAPI, chat_id: int, words: str) -> dict[str, Any]:
    """The chat's next bot message that contains `words` (reminders may come first)."""
    for _ in range(10):
        [message] = await api.wait_for_messages(chat_id, timeout=20)
        if words in message["text"]:
            return message
    raise AssertionError(f"no message with {words!r} to {chat_id}")


async def test_the_school_persona_is_told_of_the_cadre_personas_dropout(tmp_path: Path) -> None:
    personas = demo_personas()
    [cadre] = [p for p in personas if p.role == "cadre"]
    assert [p.cadre_code for p in personas if p.user_id == SCHOOL_ID] == [
        DEMO_PERSONAS["central_school"]
    ]
    people = [{"user_id": p.user_id, "name": p.label, "role": p.role} for p in personas]
    api = FakeBotAPI(token=TOKEN, sandbox_personas=people, time_zone="Asia/Shanghai")
    base_url = await api.start()
    clock = FixedClock(NOW)  # 10:00 in Shanghai: no quiet hours
    settings = load_settings(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=base_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/sandbox.sqlite3",
        _env_file=None,
    )
    await prepare_demo_database(settings, clock)
    app = await build_app(settings, clock=clock)
    await bind_personas(app.sessionmaker, personas, clock)
    polling = asyncio.create_task(run_polling(app, handle_signals=False))
    try:
        async with app.sessionmaker() as session:
            code = (
                await session.execute(
                    select(Household.code)
                    .join(Pairing, Pairing.household_id == Household.id)
                    .join(Cadre, Cadre.id == Pairing.cadre_id)
                    .where(Cadre.code == cadre.cadre_code, Pairing.until.is_(None))
                    .order_by(Household.code)
                    .limit(1)
                )
            ).scalar_one()
        api.get_user(cadre.user_id).send_text(f"/dropout {code} {CHILD} 贫困")
        await _message_with(api, cadre.user_id, CHILD)
        told = await _message_with(api, SCHOOL_ID, CHILD)
        assert code in told["text"]
        assert told.get("reply_markup", {}).get("inline_keyboard"), "the school's next steps"
    finally:
        app.poller.stop()
        await asyncio.wait_for(polling, timeout=10)
        await app.close()
        await api.stop()
    assert not api.violations and not api.rejections
