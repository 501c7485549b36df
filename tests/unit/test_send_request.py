"""The sender's sendMessage: the outbox's buttons become Telegram's reply_markup JSON once,
and each request is its own copy (no field of one message leaks into the next)."""

from __future__ import annotations

import json

from aiogram.client.default import Default

from reminders.sender import keyboard_json, send_request


def test_buttons_become_telegrams_keyboard_json() -> None:
    buttons = json.dumps([["记录走访", "v:1"], [["是", "y:2"], ["否", "n:2"]]], ensure_ascii=False)
    assert json.loads(keyboard_json(buttons) or "") == {
        "inline_keyboard": [
            [{"text": "记录走访", "callback_data": "v:1"}],
            [{"text": "是", "callback_data": "y:2"}, {"text": "否", "callback_data": "n:2"}],
        ]
    }
    assert "记录走访" in (keyboard_json(buttons) or "")  # UTF-8, not \\u escapes
    assert keyboard_json("") is None and keyboard_json("[]") is None


def test_each_request_is_its_own_with_the_bots_defaults() -> None:
    first = send_request(11, "一", '[["a", "b"]]', silent=True)
    second = send_request(22, "二", "[]", silent=False)
    assert (first.chat_id, first.text, first.disable_notification) == (11, "一", True)
    assert (second.chat_id, second.text, second.reply_markup) == (22, "二", None)
    assert second.disable_notification is None
    assert isinstance(second.parse_mode, Default)  # the bot's parse mode, as send_message
    assert first.model_dump(warnings=False)["reply_markup"] == keyboard_json('[["a", "b"]]')
