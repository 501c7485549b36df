"""Behaviour of the Bot API methods a bot actually uses (after validation passed).

Why: tests need realistic answers (Message objects, ids, edit/delete semantics,
Telegram's own 400s such as "message is not modified") rather than a blanket
{"ok": true}; methods we do not model fail loudly instead of pretending.
"""

from __future__ import annotations

import copy
import json
import mimetypes
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fakeapi.errors import ApiError
from fakeapi.markup import visible_text
from fakeapi.schema import Upload
from fakeapi.state import ChatState, FileRecord, JsonDict, StoredMessage, World, wire

Handler = Callable[[JsonDict], Awaitable[Any]]
DEFAULT_PHOTO_SIZE = (1280, 960)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "of the message are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


@dataclass
class CallbackRecord:
    """A callback query the fake user sent, and the bot's answer (params) once given."""

    query: JsonDict
    answer: JsonDict | None = None


@dataclass
class BotSettings:
    """What set* methods stored, so get* and tests can read it back."""

    commands: dict[tuple[str, str], list[JsonDict]] = field(default_factory=dict)
    menu_buttons: dict[int | None, JsonDict] = field(default_factory=dict)
    texts: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, language)


def scope_key(scope: JsonDict | None) -> str:
    """Canonical key for a BotCommandScope (default scope when omitted)."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


class Methods:
    """Method handlers bound to one World; `handlers` maps canonical names to them."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.settings = BotSettings()
        self.callbacks: dict[str, CallbackRecord] = {}
        self.reply_keyboards: dict[int, JsonDict | None] = {}
        self.handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "logOut": self.ok,
            "close": self.ok,
            # setWebhook, deleteWebhook, getWebhookInfo: fakeapi.webhook (the server adds them).
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
            "setMyDescription": self._setter("description", "description"),
            "getMyDescription": self._getter("description", "description"),
            "setMyShortDescription": self._setter("short_description", "short_description"),
            "getMyShortDescription": self._getter("short_description", "short_description"),
            "setMyName": self._setter("name", "name"),
            "getMyName": self._getter("name", "name"),
            "sendMessage": self.send_message,
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "editMessageCaption": self.edit_message_caption,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendChatAction": self.send_chat_action,
            "sendDocument": self.send_document,
            "sendPhoto": self.send_photo,
            "sendLocation": self.send_location,
            "getFile": self.get_file,
            "getChat": self.get_chat,
        }

    # -- trivial ------------------------------------------------------------------------

    async def ok(self, params: JsonDict) -> Any:
        return True

    async def get_me(self, params: JsonDict) -> Any:
        return copy.deepcopy(self.world.bot_user)

    # -- settings -----------------------------------------------------------------------

    async def set_my_commands(self, params: JsonDict) -> Any:
        key = (scope_key(params.get("scope")), params.get("language_code", ""))
        self.settings.commands[key] = params["commands"]
        return True

    async def get_my_commands(self, params: JsonDict) -> Any:
        key = (scope_key(params.get("scope")), params.get("language_code", ""))
        return copy.deepcopy(self.settings.commands.get(key, []))

    async def delete_my_commands(self, params: JsonDict) -> Any:
        key = (scope_key(params.get("scope")), params.get("language_code", ""))
        self.settings.commands.pop(key, None)
        return True

    async def set_chat_menu_button(self, params: JsonDict) -> Any:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            self._chat(chat_id)
        self.settings.menu_buttons[chat_id] = params.get("menu_button", {"type": "default"})
        return True

    async def get_chat_menu_button(self, params: JsonDict) -> Any:
        buttons = self.settings.menu_buttons
        chat_id = params.get("chat_id")
        return copy.deepcopy(buttons.get(chat_id, buttons.get(None, {"type": "default"})))

    def _setter(self, kind: str, field_name: str) -> Handler:
        async def handler(params: JsonDict) -> Any:
            self.settings.texts[(kind, params.get("language_code", ""))] = params.get(
                field_name, ""
            )
            return True

        return handler

    def _getter(self, kind: str, field_name: str) -> Handler:
        async def handler(params: JsonDict) -> Any:
            texts = self.settings.texts
            language = params.get("language_code", "")
            return {field_name: texts.get((kind, language), texts.get((kind, ""), ""))}

        return handler

    # -- chats --------------------------------------------------------------------------

    def _chat(self, chat_id: Any) -> ChatState:
        chat: ChatState | None = None
        if isinstance(chat_id, int):
            chat = self.world.chat(chat_id)
        elif isinstance(chat_id, str):
            if chat_id.lstrip("-").isdigit():
                chat = self.world.chat(int(chat_id))
            else:
                name = chat_id.removeprefix("@")
                chat = next(
                    (c for c in self.world.chats.values() if c.user.get("username") == name), None
                )
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def blocked_chat(self, method: str, params: JsonDict) -> bool:
        """Sends/edits to a chat whose user blocked the bot fail with 403."""
        if not method.startswith(("send", "edit", "copy", "forward")):
            return False
        chat_id = params.get("chat_id")
        try:
            return chat_id is not None and self._chat(chat_id).blocked
        except ApiError:
            return False

    async def get_chat(self, params: JsonDict) -> Any:
        chat = self._chat(params["chat_id"])
        info = chat.chat
        info.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": True,
                    "limited_gifts": True,
                    "unique_gifts": True,
                    "premium_subscription": True,
                    "gifts_from_channels": True,
                },
            }
        )
        return info

    async def send_chat_action(self, params: JsonDict) -> Any:
        self._chat(params["chat_id"])
        return True

    # -- sending ------------------------------------------------------------------------

    def _send(self, params: JsonDict, content: JsonDict, extra: JsonDict | None = None) -> Any:
        chat = self._chat(params["chat_id"])
        markup = params.get("reply_markup")
        if isinstance(markup, dict):
            content["reply_markup"] = markup
        if isinstance(markup, dict) and "inline_keyboard" not in markup:
            keyboard = None if markup.get("remove_keyboard") else markup
            self.reply_keyboards[chat.id] = keyboard
        stored = self.world.new_message(chat, True, content)
        if extra:
            chat.events[-1].update(extra)
        if isinstance(markup, dict) and "inline_keyboard" not in markup:
            self.world.log(chat, "keyboard", "bot", {"reply_markup": markup})
        return wire(stored.current)

    async def send_message(self, params: JsonDict) -> Any:
        text = _visible(params["text"], params)
        extra = _raw_extra(params["text"], params)
        return self._send(params, {"text": text}, extra)

    async def send_location(self, params: JsonDict) -> Any:
        location = {"latitude": params["latitude"], "longitude": params["longitude"]}
        if "horizontal_accuracy" in params:
            location["horizontal_accuracy"] = params["horizontal_accuracy"]
        return self._send(params, {"location": location})

    def _file(self, value: Any, kind: str) -> FileRecord:
        if isinstance(value, Upload):
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(value.filename)[0] or "application/octet-stream"
            return self.world.add_file(value.data, kind, value.filename, mime)
        if isinstance(value, str) and value in self.world.files:
            return self.world.files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            name = value.rsplit("/", 1)[-1] or None
            return self.world.add_file(b"", kind, name, mimetypes.guess_type(value)[0])
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _caption(self, params: JsonDict, content: JsonDict) -> JsonDict | None:
        if "caption" not in params:
            return None
        content["caption"] = _visible(params["caption"], params)
        return _raw_extra(params["caption"], params)

    async def send_document(self, params: JsonDict) -> Any:
        self._chat(params["chat_id"])
        record = self._file(params["document"], "documents")
        document: JsonDict = {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "file_size": len(record.data),
        }
        if record.filename:
            document["file_name"] = record.filename
        if record.mime_type:
            document["mime_type"] = record.mime_type
        content: JsonDict = {"document": document}
        extra = self._caption(params, content) or {}
        extra["file_path"] = record.file_path
        return self._send(params, content, extra)

    async def send_photo(self, params: JsonDict) -> Any:
        self._chat(params["chat_id"])
        record = self._file(params["photo"], "photos")
        content: JsonDict = {"photo": photo_sizes(record)}
        extra = self._caption(params, content) or {}
        extra["file_path"] = record.file_path
        return self._send(params, content, extra)

    async def get_file(self, params: JsonDict) -> Any:
        record = self.world.files.get(params["file_id"])
        if record is None:
            raise ApiError(400, "Bad Request: wrong file_id or the file is temporarily unavailable")
        return {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "file_size": len(record.data),
            "file_path": record.file_path,
        }

    # -- editing ------------------------------------------------------------------------

    def _target(self, params: JsonDict, action: str) -> tuple[ChatState, StoredMessage]:
        if "inline_message_id" in params:
            raise ApiError(501, "Not Implemented: fakeapi does not model inline messages")
        if "chat_id" not in params or "message_id" not in params:
            raise ApiError(400, "Bad Request: chat_id and message_id are required", violation=True)
        chat = self._chat(params["chat_id"])
        stored = chat.messages.get(params["message_id"])
        if stored is None or stored.deleted:
            raise ApiError(400, f"Bad Request: message to {action} not found")
        if action == "edit" and not stored.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        return chat, stored

    def _edit(self, chat: ChatState, stored: StoredMessage, changes: JsonDict, extra: Any) -> Any:
        current = stored.current
        if all(current.get(k) == v for k, v in changes.items()):
            raise ApiError(400, NOT_MODIFIED)
        self.world.edit_message(chat, stored, changes)
        if extra:
            chat.events[-1].update(extra)
        return wire(stored.current)

    async def edit_message_text(self, params: JsonDict) -> Any:
        if "text" not in params:
            raise ApiError(501, "Not Implemented: fakeapi only edits text (no rich_message)")
        chat, stored = self._target(params, "edit")
        if "text" not in stored.current:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        changes = {
            "text": _visible(params["text"], params),
            "reply_markup": params.get("reply_markup"),
        }
        return self._edit(chat, stored, changes, _raw_extra(params["text"], params))

    async def edit_message_caption(self, params: JsonDict) -> Any:
        chat, stored = self._target(params, "edit")
        changes: JsonDict = {"reply_markup": params.get("reply_markup")}
        extra = self._caption(params, changes)
        changes.setdefault("caption", None)
        return self._edit(chat, stored, changes, extra)

    async def edit_message_reply_markup(self, params: JsonDict) -> Any:
        chat, stored = self._target(params, "edit")
        return self._edit(chat, stored, {"reply_markup": params.get("reply_markup")}, None)

    async def delete_message(self, params: JsonDict) -> Any:
        chat, stored = self._target(params, "delete")
        self.world.delete_message(chat, stored)
        return True

    async def answer_callback_query(self, params: JsonDict) -> Any:
        record = self.callbacks.get(params["callback_query_id"])
        if record is None or record.answer is not None:
            raise ApiError(400, QUERY_TOO_OLD)
        record.answer = params
        chat_id = record.query.get("message", {}).get("chat", {}).get("id")
        chat = self.world.chat(chat_id) if isinstance(chat_id, int) else None
        if chat is not None:
            self.world.log(chat, "callback_answer", "bot", params)
        else:
            self.world.notify()
        return True


def _visible(text: str, params: JsonDict) -> str:
    """Message text as Telegram stores it: markup removed (already validated)."""
    if "entities" in params or "caption_entities" in params:
        return text
    mode = params.get("parse_mode")
    return visible_text(text, mode if isinstance(mode, str) else None)


def _raw_extra(text: str, params: JsonDict) -> JsonDict | None:
    """Keep the HTML source for the sandbox page, which renders a safe subset."""
    mode = params.get("parse_mode")
    if isinstance(mode, str) and mode.lower() == "html":
        return {"html": text}
    return None


def photo_sizes(record: FileRecord) -> list[JsonDict]:
    """A single PhotoSize; dimensions read from PNG/JPEG headers when possible."""
    width, height = image_size(record.data) or DEFAULT_PHOTO_SIZE
    return [
        {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "width": width,
            "height": height,
            "file_size": len(record.data),
        }
    ]


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width/height from a PNG or baseline JPEG header, else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if not data.startswith(b"\xff\xd8"):
        return None
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return None
        marker, length = data[pos + 1], int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        pos += 2 + length
    return None
