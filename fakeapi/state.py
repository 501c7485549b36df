"""In-memory world of the fake: chats, messages, files and the update queue.

Why a separate module: the HTTP layer, the method handlers, the user-side API and
the sandbox page all share this state; keeping it plain (no I/O) keeps it testable.
Everything is per instance; lookups are dict/deque based so benchmarks stay O(n).
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]
# Update kinds Telegram leaves out unless explicitly listed in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass
class StoredMessage:
    """A message in a chat, with every version (index 0 = as sent) for edit checks."""

    chat_id: int
    message_id: int
    from_bot: bool
    versions: list[JsonDict]
    deleted: bool = False

    @property
    def current(self) -> JsonDict:
        return self.versions[-1]


@dataclass
class FileRecord:
    """Bytes behind a file_id (user photos and bot uploads)."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    filename: str | None = None
    mime_type: str | None = None


@dataclass
class ChatState:
    """One private chat between the bot and a fake user."""

    id: int
    user: JsonDict
    next_message_id: int = 1
    blocked: bool = False
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    bot_messages: list[StoredMessage] = field(default_factory=list)
    read_cursor: int = 0
    edit_cursors: dict[int, int] = field(default_factory=dict)
    events: list[JsonDict] = field(default_factory=list)

    @property
    def chat(self) -> JsonDict:
        """The Chat object Telegram embeds in messages of a private chat."""
        chat: JsonDict = {"id": self.id, "type": "private", "first_name": self.user["first_name"]}
        if "username" in self.user:
            chat["username"] = self.user["username"]
        return chat


class UpdateQueue:
    """getUpdates semantics: offset confirms, long polling waits, redelivery is forced."""

    def __init__(self, first_update_id: int = 100_000) -> None:
        self._ids = itertools.count(first_update_id)
        self.pending: deque[JsonDict] = deque()
        self.forced: list[JsonDict] = []
        self._forced_handed_out = False
        self.allowed: frozenset[str] | None = None
        self.last_enqueued_id = first_update_id - 1
        self.confirmed_below = first_update_id
        self.available = asyncio.Event()

    def enqueue(self, kind: str, body: JsonDict) -> JsonDict:
        """Append a new update of `kind` (e.g. "message") and wake the long poll."""
        update_id = next(self._ids)
        update = {"update_id": update_id, kind: body}
        self.last_enqueued_id = update_id
        self.pending.append(update)
        self.available.set()
        return update

    def redeliver(self, update: JsonDict) -> None:
        """Hand `update` out again on the next poll, even if its offset was confirmed."""
        self.forced.append(copy.deepcopy(update))
        self._forced_handed_out = False
        self.available.set()

    def confirm(self, offset: int | None) -> None:
        """Forget updates below `offset` (negative: keep only the last -offset)."""
        if self._forced_handed_out:
            self.forced.clear()
            self._forced_handed_out = False
        if offset is None:
            return
        if offset < 0:
            while len(self.pending) > -offset:
                self.pending.popleft()
            return
        while self.pending and self.pending[0]["update_id"] < offset:
            self.pending.popleft()
        self.confirmed_below = max(self.confirmed_below, offset)

    def set_allowed(self, allowed: list[str] | None) -> None:
        """Telegram remembers allowed_updates across calls when it is omitted."""
        if allowed is not None:
            self.allowed = frozenset(allowed) if allowed else None

    def is_allowed(self, update: JsonDict) -> bool:
        kind = next(k for k in update if k != "update_id")
        if self.allowed is None:
            return kind not in OPT_IN_UPDATES
        return kind in self.allowed

    def take(self, limit: int) -> list[JsonDict]:
        """Updates to return now (forced redeliveries first), dropping filtered ones."""
        kept = deque(u for u in self.pending if self.is_allowed(u))
        if len(kept) != len(self.pending):
            self.pending = kept
        batch = [copy.deepcopy(u) for u in self.forced[:limit]]
        if batch:
            self._forced_handed_out = True
        batch.extend(copy.deepcopy(u) for u in itertools.islice(self.pending, limit - len(batch)))
        if not self.pending and not self.forced:
            self.available.clear()
        return batch

    def has_ready(self) -> bool:
        return bool(self.forced) or any(self.is_allowed(u) for u in self.pending)


class World:
    """Chats, files and a global event sequence (the sandbox polls it by seq)."""

    def __init__(self, bot_user: JsonDict) -> None:
        self.bot_user = bot_user
        self.chats: dict[int, ChatState] = {}
        self.files: dict[str, FileRecord] = {}
        self.files_by_path: dict[str, FileRecord] = {}
        self.updates = UpdateQueue()
        self._seq = itertools.count(1)
        self._file_ids = itertools.count(1)
        self.callback_ids = itertools.count(1)
        self._changed = asyncio.Event()

    # -- change notification (wait helpers re-check their predicate on every change) --

    def notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    @property
    def changed(self) -> asyncio.Event:
        return self._changed

    # -- chats and messages --

    def chat(self, chat_id: int) -> ChatState | None:
        return self.chats.get(chat_id)

    def add_chat(self, user: JsonDict) -> ChatState:
        chat = self.chats.get(user["id"])
        if chat is None:
            chat = ChatState(id=user["id"], user=user)
            self.chats[chat.id] = chat
        else:
            chat.user = user
        return chat

    def new_message(self, chat: ChatState, from_bot: bool, content: JsonDict) -> StoredMessage:
        """Create, store and log a message (ids are shared by both directions)."""
        message: JsonDict = {
            "message_id": chat.next_message_id,
            "from": copy.deepcopy(self.bot_user if from_bot else chat.user),
            "chat": chat.chat,
            "date": int(time.time()),
        }
        message.update(content)
        chat.next_message_id += 1
        stored = StoredMessage(chat.id, message["message_id"], from_bot, [message])
        chat.messages[stored.message_id] = stored
        if from_bot:
            chat.bot_messages.append(stored)
        self.log(chat, "message", "bot" if from_bot else "user", message)
        return stored

    def edit_message(self, chat: ChatState, stored: StoredMessage, changes: JsonDict) -> JsonDict:
        """Record a new version; `None` values remove keys (e.g. dropping a keyboard)."""
        new = copy.deepcopy(stored.current)
        for key, value in changes.items():
            if value is None:
                new.pop(key, None)
            else:
                new[key] = value
        new["edit_date"] = int(time.time())
        stored.versions.append(new)
        self.log(chat, "edit", "bot", new)
        return new

    def delete_message(self, chat: ChatState, stored: StoredMessage) -> None:
        stored.deleted = True
        self.log(chat, "delete", "bot", {"message_id": stored.message_id})

    def log(self, chat: ChatState, kind: str, side: str, payload: JsonDict) -> None:
        """Append to the chat's event log (seq is global and increasing) and notify."""
        chat.events.append(
            {"seq": next(self._seq), "kind": kind, "from": side, "message": copy.deepcopy(payload)}
        )
        self.notify()

    # -- files --

    def add_file(
        self, data: bytes, kind: str, filename: str | None = None, mime_type: str | None = None
    ) -> FileRecord:
        number = next(self._file_ids)
        suffix = f"_{filename}" if filename else ".jpg" if kind == "photos" else ""
        record = FileRecord(
            file_id=f"fake-{kind}-{number:06d}",
            file_unique_id=f"u{number:06d}",
            data=data,
            file_path=f"{kind}/file_{number}{suffix}",
            filename=filename,
            mime_type=mime_type,
        )
        self.files[record.file_id] = record
        self.files_by_path[record.file_path] = record
        return record


def iter_buttons(message: JsonDict) -> Iterable[JsonDict]:
    """Inline keyboard buttons of a message, row by row."""
    markup = message.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        yield from row


def wire(message: JsonDict) -> JsonDict:
    """The message as the Bot API returns it: only inline keyboards appear in reply_markup
    (tests see the stored version, which keeps reply keyboards as the bot sent them)."""
    out = copy.deepcopy(message)
    markup = out.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" not in markup:
        del out["reply_markup"]
    return out
