"""Limits Telegram enforces beyond types (numbers from the spec's field descriptions).

Why: type-correct requests still fail in production when text is too long,
callback_data exceeds 64 bytes, a command has capitals, etc.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fakeapi.errors import Invalid
from fakeapi.markup import MarkupError, utf16_len, visible_text

MESSAGE_TEXT_MAX = 4096
CAPTION_MAX = 1024
CALLBACK_DATA_MAX_BYTES = 64
CALLBACK_ANSWER_TEXT_MAX = 200
BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
BOT_COMMAND_DESCRIPTION_MAX = 256
MAX_COMMANDS = 100
TEXT_LIMITS = {  # method -> (field, max length); 0-N strings
    "setMyDescription": ("description", 512),
    "setMyShortDescription": ("short_description", 120),
    "setMyName": ("name", 64),
    "answerCallbackQuery": ("text", CALLBACK_ANSWER_TEXT_MAX),
}
PARSE_MODES = frozenset({"html", "markdown", "markdownv2"})
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_LANGUAGE_RE = re.compile(r"[a-z]{2}")
# InlineKeyboardButton fields that are not the button's single "action".
_BUTTON_DECORATION = frozenset({"text", "icon_custom_emoji_id", "style"})


def check_method(method: str, params: Mapping[str, Any]) -> None:
    """Method-level limits; raises Invalid."""
    mode = params.get("parse_mode")
    if isinstance(mode, str) and mode.lower() not in PARSE_MODES:
        raise Invalid(f"unsupported parse_mode {mode!r}")
    if method in ("sendMessage", "editMessageText") and "text" in params:
        text = _visible(params["text"], mode, "entities" in params)
        if not text.strip():
            raise Invalid("message text is empty")
        if utf16_len(text.strip()) > MESSAGE_TEXT_MAX:
            raise Invalid(f"message is too long (more than {MESSAGE_TEXT_MAX} UTF-16 units)")
    if isinstance(params.get("caption"), str):
        caption = _visible(params["caption"], mode, "caption_entities" in params)
        if utf16_len(caption.strip()) > CAPTION_MAX:
            raise Invalid(f"message caption is too long (more than {CAPTION_MAX})")
    if method in TEXT_LIMITS:
        field, maximum = TEXT_LIMITS[method]
        value = params.get(field)
        if isinstance(value, str) and utf16_len(value) > maximum:
            raise Invalid(f"{field} is too long (more than {maximum} characters)")
    language = params.get("language_code")
    if isinstance(language, str) and language and not _LANGUAGE_RE.fullmatch(language):
        raise Invalid(f"language_code must be a two-letter ISO 639-1 code, got {language!r}")
    if method == "setMyCommands" and len(params["commands"]) > MAX_COMMANDS:
        raise Invalid(f"too many commands (more than {MAX_COMMANDS})")
    if method == "sendChatAction" and params["action"] not in CHAT_ACTIONS:
        raise Invalid(f"wrong chat action {params['action']!r}")
    if method == "sendLocation":
        _check_location(params)


def check_object(type_name: str, obj: Mapping[str, Any], path: str) -> None:
    """Object-level limits; raises Invalid with the field path."""
    if type_name == "InlineKeyboardButton":
        _check_inline_button(obj, path)
    elif type_name == "KeyboardButton" and not obj["text"].strip():
        raise Invalid(f"{path}.text: keyboard button text must be non-empty", depth=99)
    elif type_name == "BotCommand":
        if not BOT_COMMAND_RE.fullmatch(obj["command"]):
            raise Invalid(
                f"{path}.command: must be 1-32 characters of a-z, 0-9 and _ "
                f"(got {obj['command']!r})",
                depth=99,
            )
        description = obj["description"].strip()
        if not 1 <= len(description) <= BOT_COMMAND_DESCRIPTION_MAX:
            raise Invalid(
                f"{path}.description: must be 1-{BOT_COMMAND_DESCRIPTION_MAX} characters",
                depth=99,
            )


def _check_inline_button(obj: Mapping[str, Any], path: str) -> None:
    if not obj["text"].strip():
        raise Invalid(f"{path}.text: inline keyboard button text must be non-empty", depth=99)
    actions = [key for key in obj if key not in _BUTTON_DECORATION]
    if len(actions) != 1:
        raise Invalid(
            f"{path}: inline keyboard button needs exactly one action field, got {actions}",
            depth=99,
        )
    data = obj.get("callback_data")
    if data is not None and not 1 <= len(data.encode()) <= CALLBACK_DATA_MAX_BYTES:
        raise Invalid(
            f"{path}.callback_data: BUTTON_DATA_INVALID (must be 1-{CALLBACK_DATA_MAX_BYTES} "
            f"bytes in UTF-8, got {len(data.encode())})",
            depth=99,
        )


def _check_location(params: Mapping[str, Any]) -> None:
    if not -90 <= params["latitude"] <= 90 or not -180 <= params["longitude"] <= 180:
        raise Invalid("latitude/longitude out of range")
    accuracy = params.get("horizontal_accuracy")
    if accuracy is not None and not 0 <= accuracy <= 1500:
        raise Invalid("horizontal_accuracy must be 0-1500")


def _visible(text: str, mode: Any, has_entities: bool) -> str:
    if has_entities or not isinstance(mode, str):
        return text
    try:
        return visible_text(text, mode)
    except MarkupError as exc:
        raise Invalid(str(exc)) from None
