"""The user side: fake people who type, share locations, send photos and press buttons.

Why: end-to-end tests and the sandbox page must produce exactly the updates real
Telegram clients produce, and must not be able to press buttons that do not exist
(forged callback data is a separate, explicit operation).
"""

from __future__ import annotations

import copy
import time
from typing import Any

from fakeapi.markup import utf16_len
from fakeapi.methods import CallbackRecord, Methods, photo_sizes
from fakeapi.state import ChatState, JsonDict, World, iter_buttons, wire

# A tiny JPEG header (SOF0 says 640x480): enough for file handling and size parsing.
DEFAULT_PHOTO = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    b"\xff\xc0\x00\x11\x08\x01\xe0\x02\x80\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    b"\xff\xd9"
)


class FakeUser:
    """A Telegram user in a private chat with the bot (chat id == user id)."""

    def __init__(self, world: World, methods: Methods, chat: ChatState) -> None:
        self._world = world
        self._methods = methods
        self._chat = chat

    @property
    def id(self) -> int:
        return self._chat.id

    @property
    def chat_id(self) -> int:
        return self._chat.id

    @property
    def user(self) -> JsonDict:
        """The User object as the bot sees it."""
        return copy.deepcopy(self._chat.user)

    def _message(self, content: JsonDict) -> JsonDict:
        stored = self._world.new_message(self._chat, False, content)
        return self._world.updates.enqueue("message", copy.deepcopy(stored.current))

    def send_text(self, text: str) -> JsonDict:
        """Type a message; a leading /command gets a bot_command entity like Telegram's."""
        content: JsonDict = {"text": text}
        if text.startswith("/") and len(text) > 1:
            command = text.split(maxsplit=1)[0]
            entity = {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            content["entities"] = [entity]
        return self._message(content)

    def send_location(
        self, latitude: float, longitude: float, horizontal_accuracy: float | None = None
    ) -> JsonDict:
        """Share a (non-live) location."""
        location: JsonDict = {"latitude": latitude, "longitude": longitude}
        if horizontal_accuracy is not None:
            location["horizontal_accuracy"] = horizontal_accuracy
        return self._message({"location": location})

    def send_photo(self, data: bytes = DEFAULT_PHOTO, caption: str | None = None) -> JsonDict:
        """Send a photo; the bot can getFile it and download the same bytes."""
        record = self._world.add_file(data, "photos", mime_type="image/jpeg")
        content: JsonDict = {"photo": photo_sizes(record)}
        if caption is not None:
            content["caption"] = caption
        return self._message(content)

    def press(self, message: JsonDict | int, data: str) -> JsonDict:
        """Press the inline button whose callback_data is `data` (it must exist now)."""
        current = self._current(message)
        if not any(b.get("callback_data") == data for b in iter_buttons(current)):
            raise AssertionError(
                f"message {current['message_id']} has no button with callback_data {data!r}; "
                f"buttons: {_describe(current)}"
            )
        return self._callback(current, data)

    def press_button(self, message: JsonDict | int, text_or_data: str) -> JsonDict:
        """Press a callback button found by its label (or, failing that, its data)."""
        current = self._current(message)
        buttons = [b for b in iter_buttons(current) if "callback_data" in b]
        match = next((b for b in buttons if b["text"] == text_or_data), None) or next(
            (b for b in buttons if b["callback_data"] == text_or_data), None
        )
        if match is None:
            raise AssertionError(
                f"message {current['message_id']} has no callback button {text_or_data!r}; "
                f"buttons: {_describe(current)}"
            )
        return self._callback(current, match["callback_data"])

    def forge_callback(self, message_id: int, data: str) -> JsonDict:
        """Send arbitrary callback data, as a tampered client could."""
        stored = self._chat.messages.get(message_id)
        if stored is not None and not stored.deleted:
            return self._callback(stored.current, data)
        inaccessible = {"chat": self._chat.chat, "message_id": message_id, "date": 0}
        return self._callback(inaccessible, data)

    def _current(self, message: JsonDict | int) -> JsonDict:
        message_id = message if isinstance(message, int) else message["message_id"]
        stored = self._chat.messages.get(message_id)
        if stored is None or stored.deleted or not stored.from_bot:
            raise AssertionError(f"no visible bot message {message_id} in chat {self.chat_id}")
        return stored.current

    def _callback(self, message: JsonDict, data: str) -> JsonDict:
        query: JsonDict = {
            "id": f"{self.id}{next(self._world.callback_ids):08d}{int(time.time()) % 1000:03d}",
            "from": copy.deepcopy(self._chat.user),
            "message": wire(message),
            "chat_instance": f"ci{self.chat_id}",
            "data": data,
        }
        self._methods.callbacks[query["id"]] = CallbackRecord(query)
        self._world.log(
            self._chat, "press", "user", {"message_id": message["message_id"], "data": data}
        )
        return self._world.updates.enqueue("callback_query", copy.deepcopy(query))


def _describe(message: JsonDict) -> list[Any]:
    return [(b.get("text"), b.get("callback_data")) for b in iter_buttons(message)]
