"""The poller sorts failures: a bug is confirmed once and the person told whether anything
was saved; an outage (here Telegram's 5xx on the reply) is tried again, in order for that
chat, and, still failing after a batch's tries, left unconfirmed for the next poll.

A small Dispatcher of the test's own (a bug on demand, an echo, a real SQLite write) polls
our fake Bot API server through the real BatchPoller."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.polling import BatchPoller, note_reply_locale
from fakeapi.server import FakeBotAPI
from storage.db import make_engine
from ui.i18n import Catalogs
from ui.views.failure import NOTHING_SAVED, PARTLY_SAVED

TOKEN = "123456:TEST-token-for-the-fake-server"
ALICE, BOB = 2001, 2002
ZH = Catalogs.load("zh").translator("zh")


def dispatcher_with(engine: AsyncEngine) -> Dispatcher:
    router = Router()

    @router.message(Command("boom"))
    async def boom(_message: Message) -> None:
        raise ValueError("a bug")

    @router.message(Command("save_then_boom"))
    async def save_then_boom(_message: Message) -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes (body) VALUES ('kept')"))
        raise RuntimeError("a bug after the commit")

    @router.message(Command("boom_in_english"))
    async def boom_in_english(_message: Message) -> None:
        note_reply_locale("en")  # what ActorMiddleware records for a person who chose /lang en
        raise ValueError("a bug")

    @router.message(Command("echo"))
    async def echo(message: Message, command: CommandObject) -> None:
        await message.answer(command.args or "")

    dispatcher = Dispatcher(catalogs=Catalogs.load("zh"))
    dispatcher.include_router(router)
    return dispatcher


@asynccontextmanager
async def poller_on(
    tmp_path: Path, before: tuple[tuple[int, str], ...] = (), **options: Any
) -> AsyncIterator[tuple[FakeBotAPI, AsyncEngine]]:
    """Fake server, a notes table, updates sent `before` the first poll, then polling."""
    api = FakeBotAPI(token=TOKEN)
    base_url = await api.start()
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/notes.sqlite3")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE notes (body TEXT)"))
    for user_id in (ALICE, BOB):
        api.user(user_id, f"user{user_id}")
    for user_id, line in before:
        api.get_user(user_id).send_text(line)
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)))
    options.setdefault("retry_delays", (0.01, 0.02))
    poller = BatchPoller(bot, dispatcher_with(engine), **options)
    task = asyncio.create_task(poller.run())
    try:
        yield api, engine
        await api.wait_idle()  # every update confirmed
    finally:
        poller.stop()
        await asyncio.wait_for(task, timeout=10)
        await bot.session.close()
        await engine.dispose()
        await api.stop()
    assert not api.violations


def texts(api: FakeBotAPI, chat_id: int) -> list[str]:
    return [m["text"] for m in api.messages_to(chat_id)]


async def test_a_bug_is_confirmed_and_the_person_told_nothing_was_saved(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with poller_on(tmp_path, before=((ALICE, "/boom secret words"),)) as (api, _):
        api.get_user(ALICE).send_text("/echo after")  # the chat goes on after the bug
        await api.wait_for_messages(ALICE, count=2)
    assert texts(api, ALICE) == [ZH(NOTHING_SAVED), "after"]
    [failed] = [r for r in caplog.records if "failed for good" in r.getMessage()]
    assert "(message)" in failed.getMessage() and failed.exc_info is not None
    assert not any("secret" in r.getMessage() for r in caplog.records)  # no text logged


async def test_the_failure_notice_follows_the_chosen_language(tmp_path: Path) -> None:
    async with poller_on(tmp_path) as (api, _):
        api.get_user(ALICE).send_text("/boom_in_english")  # Telegram's language: zh
        await api.wait_for_messages(ALICE)
    english = Catalogs.load("zh").translator("en")
    assert texts(api, ALICE) == [english(NOTHING_SAVED)]
    assert english(NOTHING_SAVED) != ZH(NOTHING_SAVED)


async def test_a_bug_after_a_commit_says_part_was_saved(tmp_path: Path) -> None:
    async with poller_on(tmp_path) as (api, engine):
        api.get_user(ALICE).send_text("/save_then_boom")
        await api.wait_for_messages(ALICE)
        async with engine.connect() as connection:
            kept = (await connection.execute(text("SELECT body FROM notes"))).scalars().all()
    assert kept == ["kept"]
    assert texts(api, ALICE) == [ZH(PARTLY_SAVED)]


async def test_a_failed_reply_is_tried_again_in_order_and_answered_once(tmp_path: Path) -> None:
    """Two 502s on Alice's first reply: tried again; her second message waits its turn."""
    async with poller_on(tmp_path) as (api, _):
        api.fail_next("sendMessage", 502, chat_id=ALICE, times=2)
        api.get_user(ALICE).send_text("/echo 1")
        api.get_user(ALICE).send_text("/echo 2")
        api.get_user(BOB).send_text("/echo bob")
        await api.wait_for_messages(ALICE, count=2)
        await api.wait_for_messages(BOB)
    assert texts(api, ALICE) == ["1", "2"]
    assert texts(api, BOB) == ["bob"]


async def test_still_failing_after_the_tries_it_waits_for_the_next_poll(tmp_path: Path) -> None:
    """Alice's reply fails on all three tries of the first batch: her update is not
    confirmed and comes again; Bob's, in the same batch and handled, is not handled twice."""
    before = ((ALICE, "/echo 1"), (ALICE, "/echo 2"), (BOB, "/echo bob"))
    async with poller_on(tmp_path, before=before) as (api, _):
        api.fail_next("sendMessage", 502, chat_id=ALICE, times=4)
        await api.wait_for_messages(ALICE, count=2)
        await api.wait_for_messages(BOB)
        assert len(api.calls_of("getUpdates")) >= 2
    assert texts(api, ALICE) == ["1", "2"]
    assert texts(api, BOB) == ["bob"]


async def test_an_outage_that_outlasts_the_time_limit_is_given_up_and_told(
    tmp_path: Path,
) -> None:
    async with poller_on(tmp_path, give_up_after=0.0) as (api, _):
        api.fail_next("sendMessage", 502, chat_id=ALICE, times=1)
        api.get_user(ALICE).send_text("/echo lost")
        await api.wait_for_messages(ALICE)
    assert texts(api, ALICE) == [ZH(NOTHING_SAVED)]
