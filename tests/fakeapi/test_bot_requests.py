"""The fake seen from a real aiogram Bot: behaviour, validation and fault injection."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from fakeapi import FakeBotAPI, WaitTimeout

from .conftest import TOKEN, make_bot

CHAT = 777


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in pairs]
    )


async def post(api: FakeBotAPI, method: str, payload: dict[str, Any]) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{api.base_url}/bot{TOKEN}/{method}", json=payload) as resp,
    ):
        return resp.status, await resp.json()


async def test_send_message_returns_a_spec_valid_message(api: FakeBotAPI, bot: Bot) -> None:
    api.user(CHAT, "Li")
    sent = await bot.send_message(CHAT, "你好\n第二行", reply_markup=keyboard(("OK", "ok:1")))
    assert sent.message_id == 1 and sent.chat.id == CHAT and sent.from_user is not None
    assert sent.from_user.username == "cadrebot_sandbox_bot"
    [stored] = await api.wait_for_messages(CHAT)
    assert stored["text"] == "你好\n第二行"
    assert stored["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ok:1"
    api.schema.validate_object("Message", stored)
    second = await bot.send_message(CHAT, "again")
    assert second.message_id == 2
    assert api.violations == [] and api.calls_of("sendMessage")[0].status == 200


async def test_get_me_and_get_chat(api: FakeBotAPI, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 42424242 and me.is_bot
    api.user(CHAT, "Li", username="li_teacher")
    chat = await bot.get_chat(CHAT)
    assert chat.type == "private" and chat.first_name == "Li" and chat.username == "li_teacher"
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(123, "nobody")
    assert api.rejections and not api.violations


async def test_text_limits(api: FakeBotAPI, bot: Bot) -> None:
    api.user(CHAT, "Li")
    await bot.send_message(CHAT, "字" * 4096)
    with pytest.raises(TelegramBadRequest, match="too long"):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="too long"):
        await bot.send_message(CHAT, "😀" * 2049)  # 4098 UTF-16 code units
    with pytest.raises(TelegramBadRequest, match="empty"):
        await bot.send_message(CHAT, "   ")
    assert len(api.violations) == 3 and api.violations[0].startswith("sendMessage:")


async def test_html_is_parsed_like_telegram(api: FakeBotAPI, bot: Bot) -> None:
    api.user(CHAT, "Li")
    sent = await bot.send_message(CHAT, "<b>粗</b> a &lt; b", parse_mode="HTML")
    assert sent.text == "粗 a < b"
    assert api.sent_html(CHAT, sent.message_id) == "<b>粗</b> a &lt; b"
    with pytest.raises(TelegramBadRequest, match="Unsupported start tag"):
        await bot.send_message(CHAT, "<div>x</div>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="end tag"):
        await bot.send_message(CHAT, "<b>x", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="unexpected '<'"):
        await bot.send_message(CHAT, "1 < 2", parse_mode="HTML")
    assert len(api.violations) == 3


async def test_callback_data_of_65_bytes_is_refused(api: FakeBotAPI, bot: Bot) -> None:
    api.user(CHAT, "Li")
    await bot.send_message(CHAT, "ok", reply_markup=keyboard(("a", "x" * 64)))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "no", reply_markup=keyboard(("a", "x" * 65)))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "no", reply_markup=keyboard(("a", "户" * 22)))  # 66 bytes
    with pytest.raises(TelegramBadRequest, match="non-empty"):
        await bot.send_message(CHAT, "no", reply_markup=keyboard((" ", "d")))
    assert len(api.violations) == 3
    assert all("inline_keyboard" in v for v in api.violations)


async def test_unknown_field_missing_field_and_wrong_type(api: FakeBotAPI) -> None:
    api.user(CHAT, "Li")
    status, body = await post(api, "sendMessage", {"chat_id": CHAT, "text": "x", "bogus": 1})
    assert status == 400 and body["ok"] is False and body["error_code"] == 400
    assert body["description"].startswith("Bad Request: ") and "bogus" in body["description"]
    status, body = await post(api, "sendMessage", {"text": "x"})
    assert status == 400 and "chat_id" in body["description"]
    status, body = await post(api, "sendMessage", {"chat_id": CHAT, "text": 5})
    assert status == 400 and "expected String" in body["description"]
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "b", "colour": "red"}]]}
    payload = {"chat_id": CHAT, "text": "x", "reply_markup": markup}
    status, body = await post(api, "sendMessage", payload)
    assert status == 400 and "colour" in body["description"]
    status, body = await post(api, "sendMessage", {"chat_id": CHAT, "text": "ok"})
    assert status == 200 and body["result"]["text"] == "ok"
    assert len(api.violations) == 4


async def test_routing_errors(api: FakeBotAPI) -> None:
    assert api.base_url is not None
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{api.base_url}/bot{TOKEN}/noSuchMethod") as resp:
            assert resp.status == 404
            assert (await resp.json())["description"] == "Not Found: method not found"
        async with http.get(f"{api.base_url}/bot{TOKEN}/GETME") as resp:
            assert resp.status == 200 and (await resp.json())["result"]["is_bot"] is True
        async with http.get(f"{api.base_url}/bot{TOKEN}/sendMessage?chat_id=1&text=hi") as resp:
            assert (await resp.json())["description"] == "Bad Request: chat not found"


async def test_wrong_token_is_unauthorized(api: FakeBotAPI) -> None:
    assert api.base_url is not None
    other = make_bot(api.base_url, token="1:wrong")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await other.get_me()
    finally:
        await other.session.close()
    assert api.calls[-1].status == 401


async def test_injected_429_and_5xx(api: FakeBotAPI, bot: Bot) -> None:
    api.user(CHAT, "Li")
    api.fail_next("sendMessage", retry_after=3)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(CHAT, "x")
    assert caught.value.retry_after == 3
    api.fail_next("sendmessage", error_code=502, chat_id=CHAT, times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_message(CHAT, "x")
    await bot.send_message(CHAT, "finally")
    assert [c.status for c in api.calls_of("sendMessage")] == [429, 502, 502, 200]
    assert api.violations == [] and api.rejections == []


async def test_blocked_user(api: FakeBotAPI, bot: Bot) -> None:
    api.user(CHAT, "Li")
    api.block(CHAT)
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await bot.send_message(CHAT, "x")
    api.unblock(CHAT)
    await bot.send_message(CHAT, "x")


async def test_long_poll_returns_update_enqueued_during_wait(api: FakeBotAPI, bot: Bot) -> None:
    user = api.user(CHAT, "Li")
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await api.wait_for_poll()
    sent = user.send_text("/start abc")
    updates = await asyncio.wait_for(poll, 5)
    assert [u.update_id for u in updates] == [sent["update_id"]]
    message = updates[0].message
    assert message is not None and message.text == "/start abc"
    assert message.entities is not None and message.entities[0].length == 6
    api.schema.validate_object("Update", sent)


async def test_offset_confirms_and_redeliver(api: FakeBotAPI, bot: Bot) -> None:
    user = api.user(CHAT, "Li")
    first, second = user.send_text("one"), user.send_text("two")
    assert [u.update_id for u in await bot.get_updates()] == [
        first["update_id"],
        second["update_id"],
    ]
    # Not confirmed yet: Telegram returns them again.
    assert len(await bot.get_updates()) == 2
    assert [u.update_id for u in await bot.get_updates(offset=second["update_id"])] == [
        second["update_id"]
    ]
    assert await bot.get_updates(offset=second["update_id"] + 1) == []
    api.redeliver(first)
    again = await bot.get_updates(offset=second["update_id"] + 1)
    assert [u.update_id for u in again] == [first["update_id"]]
    assert await bot.get_updates(offset=second["update_id"] + 1) == []


async def test_allowed_updates_filter(api: FakeBotAPI, bot: Bot) -> None:
    user = api.user(CHAT, "Li")
    await bot.send_message(CHAT, "menu", reply_markup=keyboard(("A", "a")))
    [menu] = await api.wait_for_messages(CHAT)
    user.send_text("hi")
    user.press(menu, "a")
    updates = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query is not None for u in updates] == [True]


async def test_concurrent_get_updates_conflict(api: FakeBotAPI, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await api.wait_for_poll()
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(Exception, match="Conflict"):
        await asyncio.wait_for(first, 5)
    assert await asyncio.wait_for(second, 5) == []


async def test_set_my_commands_with_scope_and_language(api: FakeBotAPI, bot: Bot) -> None:
    api.user(CHAT, "Li")
    commands = [BotCommand(command="visit", description="登记走访")]
    scope = BotCommandScopeChat(chat_id=CHAT)
    assert await bot.set_my_commands(commands, scope=scope, language_code="zh")
    assert api.commands({"type": "chat", "chat_id": CHAT}, "zh") == [
        {"command": "visit", "description": "登记走访"}
    ]
    assert api.commands() is None
    got = await bot.get_my_commands(scope=scope, language_code="zh")
    assert [c.command for c in got] == ["visit"]
    with pytest.raises(TelegramBadRequest, match="a-z"):
        await bot.set_my_commands([BotCommand(command="Visit", description="x")])
    with pytest.raises(TelegramBadRequest, match="1-256"):
        await bot.set_my_commands([BotCommand(command="v", description="x" * 257)])
    with pytest.raises(TelegramBadRequest, match="language_code"):
        await bot.set_my_commands(commands, language_code="zho")
    status, body = await post(api, "setMyCommands", {"commands": [], "scope": {"type": "planet"}})
    assert status == 400 and "BotCommandScope" in body["description"]
    status, _ = await post(api, "setMyCommands", {"commands": [], "scope": {"type": "chat"}})
    assert status == 400
    assert len(api.violations) == 5


async def test_send_document_and_photo_uploads(api: FakeBotAPI, bot: Bot) -> None:
    api.user(CHAT, "Li")
    payload = "户号,走访\nH001,1\n".encode()
    doc = await bot.send_document(
        CHAT,
        BufferedInputFile(payload, filename="报表.csv"),
        caption="<b>报表</b>",
        parse_mode="HTML",
    )
    assert doc.document is not None and doc.document.file_name == "报表.csv"
    assert doc.caption == "报表"
    assert api.file_bytes(doc.document.file_id) == payload
    file = await bot.get_file(doc.document.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == payload
    photo = await bot.send_photo(
        CHAT, BufferedInputFile(b"\x89PNG\r\n\x1a\n" + b"\0" * 16, filename="p.png")
    )
    assert photo.photo is not None and photo.photo[-1].file_size == 24
    again = await bot.send_document(CHAT, doc.document.file_id)
    assert again.document is not None and again.document.file_id == doc.document.file_id
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_document(CHAT, doc.document.file_id, caption="c" * 1025)
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(CHAT, "no-such-file")


async def test_user_photo_can_be_downloaded(api: FakeBotAPI, bot: Bot) -> None:
    update = api.user(CHAT, "Li").send_photo(b"\xff\xd8jpeg-bytes", caption="门牌")
    [received] = await bot.get_updates()
    assert received.message is not None and received.message.photo is not None
    assert received.message.caption == "门牌"
    file_id = update["message"]["photo"][-1]["file_id"]
    file = await bot.get_file(file_id)
    assert file.file_path is not None
    data = await bot.download_file(file.file_path)
    assert data is not None and data.read() == b"\xff\xd8jpeg-bytes"


async def test_buttons_callbacks_and_edits(api: FakeBotAPI, bot: Bot) -> None:
    user = api.user(CHAT, "Li")
    await bot.send_message(CHAT, "选择", reply_markup=keyboard(("H001", "vh:1"), ("H002", "vh:2")))
    [menu] = await api.wait_for_messages(CHAT)
    with pytest.raises(AssertionError, match="no button"):
        user.press(menu, "vh:3")
    with pytest.raises(AssertionError, match="no callback button"):
        user.press_button(menu, "H003")
    update = user.press_button(menu, "H002")
    query = update["callback_query"]
    assert query["data"] == "vh:2" and query["message"]["message_id"] == menu["message_id"]
    with pytest.raises(TelegramBadRequest, match="too long"):
        await bot.answer_callback_query(query["id"], text="x" * 201)
    await bot.answer_callback_query(query["id"], text="好", show_alert=True)
    answer = await api.wait_for_callback_answer(update)
    assert answer == {"callback_query_id": query["id"], "text": "好", "show_alert": True}
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query["id"])

    await bot.edit_message_text(
        "已选 H002",
        chat_id=CHAT,
        message_id=menu["message_id"],
        reply_markup=keyboard(("确认", "ok")),
    )
    edited = await api.wait_for_edit(CHAT, menu["message_id"])
    assert edited["text"] == "已选 H002" and "edit_date" in edited
    with pytest.raises(AssertionError):
        user.press(menu, "vh:1")  # the old keyboard is gone
    user.press(menu, "ok")
    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_text(
            "已选 H002",
            chat_id=CHAT,
            message_id=menu["message_id"],
            reply_markup=keyboard(("确认", "ok")),
        )
    await bot.edit_message_reply_markup(chat_id=CHAT, message_id=menu["message_id"])
    cleared = await api.wait_for_edit(CHAT, menu["message_id"])
    assert "reply_markup" not in cleared
    assert len(api.versions(CHAT, menu["message_id"])) == 3
    forged = user.forge_callback(menu["message_id"], "vh:999")
    assert forged["callback_query"]["data"] == "vh:999"
    assert await bot.delete_message(CHAT, menu["message_id"])
    assert api.is_deleted(CHAT, menu["message_id"])
    with pytest.raises(TelegramBadRequest, match="not found"):
        await bot.delete_message(CHAT, menu["message_id"])
    assert len(api.violations) == 1 and len(api.rejections) == 3


async def test_reply_keyboard_and_location(api: FakeBotAPI, bot: Bot) -> None:
    user = api.user(CHAT, "Li")
    markup = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="发送位置", request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    sent = await bot.send_message(CHAT, "请发送位置", reply_markup=markup)
    assert sent.reply_markup is None  # Telegram only echoes inline keyboards
    [stored] = await api.wait_for_messages(CHAT)
    assert stored["reply_markup"]["keyboard"][0][0]["request_location"] is True
    update = user.send_location(25.5051, 101.2386, horizontal_accuracy=12.0)
    api.schema.validate_object("Update", update)
    location = await bot.send_location(CHAT, 25.0, 101.0)
    assert location.location is not None and location.location.latitude == 25.0
    assert await bot.send_chat_action(CHAT, "typing")


async def test_unimplemented_methods_fail_loudly(api: FakeBotAPI, bot: Bot) -> None:
    api.user(CHAT, "Li")
    with pytest.raises(TelegramServerError, match="does not implement sendDice"):
        await bot.send_dice(CHAT)
    assert api.violations == ["sendDice: Not Implemented: fakeapi does not implement sendDice"]
    assert await bot.set_my_description("走访助手") is True
    assert (await bot.get_my_description()).description == "走访助手"
    assert await bot.pin_chat_message(CHAT, 1) is True  # "Returns True": validated then ok


async def test_wait_helpers_time_out_with_a_reason(api: FakeBotAPI) -> None:
    api.user(CHAT, "Li")
    with pytest.raises(WaitTimeout, match="expected 1 new bot message"):
        await api.wait_for_messages(CHAT, timeout=0.05)
    with pytest.raises(WaitTimeout, match="edit"):
        await api.wait_for_edit(CHAT, 1, timeout=0.05)
