"""A real aiogram Dispatcher polling the fake, the sandbox endpoints, schema freshness."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from fakeapi import FakeBotAPI

REPO = Path(__file__).resolve().parents[2]
CADRE, STRANGER = 501, 502


@pytest.fixture
async def running(api: FakeBotAPI, bot: Bot) -> AsyncIterator[FakeBotAPI]:
    """Dispatcher with a /menu command, a button handler and an echo, polling for real."""
    dp = Dispatcher()

    @dp.message(Command("menu"))
    async def menu(message: Message) -> None:
        buttons = [[InlineKeyboardButton(text="选 A (pick A)", callback_data="pick:a")]]
        await message.answer(
            "<b>菜单</b>",
            parse_mode="HTML",
            reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons),
        )

    @dp.callback_query(F.data.startswith("pick:"))
    async def pick(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.message.edit_text(f"picked {query.data}")
        await query.answer("ok")

    @dp.message(F.location)
    async def location(message: Message) -> None:
        assert message.location is not None
        await message.answer(f"at {message.location.latitude:.2f}")

    @dp.message(F.photo)
    async def photo(message: Message, bot: Bot) -> None:
        assert message.photo is not None
        data = await bot.download(message.photo[-1].file_id)
        assert data is not None
        await message.answer(f"photo {len(data.read())} bytes")

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False))
    await api.wait_for_poll()
    try:
        yield api
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(task, 5)
    assert api.violations == []


async def test_dispatcher_round_trip(running: FakeBotAPI) -> None:
    user = running.get_user(CADRE)
    update = user.send_text("你好")
    [reply] = await running.wait_for_messages(CADRE)
    assert reply["text"] == "echo: 你好"
    user.send_text("/menu")
    [menu] = await running.wait_for_messages(CADRE)
    assert menu["text"] == "菜单"
    press = user.press_button(menu, "选 A (pick A)")
    assert (await running.wait_for_callback_answer(press))["text"] == "ok"
    edited = await running.wait_for_edit(CADRE, menu["message_id"])
    assert edited["text"] == "picked pick:a"
    running.redeliver(update)
    [again] = await running.wait_for_messages(CADRE)
    assert again["text"] == "echo: 你好"
    await running.wait_idle()


async def test_dispatcher_handles_many_updates(running: FakeBotAPI) -> None:
    user = running.get_user(CADRE)
    for i in range(200):
        user.send_text(f"m{i}")
    replies = await running.wait_for_messages(CADRE, count=200, timeout=20)
    assert sorted(r["text"] for r in replies) == sorted(f"echo: m{i}" for i in range(200))
    assert len(running.calls_of("sendMessage")) == 200


async def test_sandbox_endpoints(running: FakeBotAPI) -> None:
    base = running.base_url
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/") as resp:
            assert resp.status == 200 and "text/html" in resp.headers["Content-Type"]
            page = await resp.text()
            assert "/sandbox/api/" in page and "messages?user_id=" in page
        async with http.get(f"{base}/sandbox/api/personas") as resp:
            personas = (await resp.json())["personas"]
            assert [p["user_id"] for p in personas] == [CADRE, STRANGER]
        async with http.post(f"{base}/sandbox/api/send", json={"user_id": CADRE, "text": "/menu"}):
            pass
        await running.wait_for_messages(CADRE)
        url = f"{base}/sandbox/api/messages?user_id={CADRE}&after=0&wait=5"
        async with http.get(url) as resp:
            body = await resp.json()
        kinds = [(e["kind"], e["from"]) for e in body["events"]]
        assert kinds == [("message", "user"), ("message", "bot")]
        menu = body["events"][1]
        assert menu["html"] == "<b>菜单</b>" and menu["message"]["text"] == "菜单"
        seq = body["last_seq"]
        press = {"user_id": CADRE, "message_id": menu["message"]["message_id"], "data": "nope"}
        async with http.post(f"{base}/sandbox/api/press", json=press) as resp:
            assert resp.status == 400
        press["data"] = "pick:a"
        async with http.post(f"{base}/sandbox/api/press", json=press) as resp:
            assert resp.status == 200
        await running.wait_for_edit(CADRE, menu["message"]["message_id"])
        async with http.get(f"{base}/sandbox/api/messages?user_id={CADRE}&after={seq}") as resp:
            later = (await resp.json())["events"]
        assert "edit" in [e["kind"] for e in later] and all(e["seq"] > seq for e in later)
        loc = {"user_id": CADRE, "latitude": 25.5, "longitude": 101.2}
        async with http.post(f"{base}/sandbox/api/location", json=loc) as resp:
            assert resp.status == 200
        assert (await running.wait_for_messages(CADRE))[0]["text"] == "at 25.50"
        form = aiohttp.FormData()
        form.add_field("user_id", str(CADRE))
        form.add_field("photo", b"\xff\xd8abc", filename="p.jpg", content_type="image/jpeg")
        async with http.post(f"{base}/sandbox/api/photo", data=form) as resp:
            assert resp.status == 200
        assert (await running.wait_for_messages(CADRE))[0]["text"] == "photo 5 bytes"
        async with http.post(f"{base}/sandbox/api/send", json={"user_id": 9, "text": "x"}) as resp:
            assert resp.status == 404


def _load_deriver() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "derive_bot_api_schema", REPO / "tools" / "derive_bot_api_schema.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_schema_matches_the_spec() -> None:
    deriver = _load_deriver()
    source = deriver.find_spec()
    if source is None:
        reason = "Bot API spec (/work/shared or ../shared) not available; freshness not checked"
        print(reason)
        pytest.skip(reason)
    spec = json.loads(Path(source).read_text(encoding="utf-8"))
    committed = (REPO / "fakeapi" / "bot_api_schema.json").read_text(encoding="utf-8")
    assert committed == deriver.render(deriver.derive(spec)), "run tools/derive_bot_api_schema.py"
    assert "description" not in json.loads(committed)["methods"]["sendMessage"]
