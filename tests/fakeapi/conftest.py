"""Fixtures: a started FakeBotAPI and a real aiogram Bot pointed at it over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from fakeapi import FakeBotAPI

TOKEN = "42424242:FAKE-token-for-fakeapi-tests"
PERSONAS = [
    {"user_id": 501, "name": "李老师", "role": "cadre", "language_code": "zh"},
    {"user_id": 502, "name": "Stranger", "role": "stranger", "language_code": "en"},
]


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    fake = FakeBotAPI(TOKEN, sandbox_personas=PERSONAS)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def make_bot(base_url: str, token: str = TOKEN) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(base_url))
    return Bot(token, session=session)


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    assert api.base_url is not None
    client = make_bot(api.base_url)
    try:
        yield client
    finally:
        await client.session.close()
