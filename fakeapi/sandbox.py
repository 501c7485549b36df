"""Browser sandbox: a chat page plus JSON endpoints, served by the fake's own app.

Why: lets a person try the bot as any persona (cadre, unit head, supervisor,
stranger) with no Telegram account, through the same update path tests use.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from fakeapi.methods import Methods
from fakeapi.state import ChatState, JsonDict, World
from fakeapi.users import FakeUser


class SandboxHost(Protocol):
    """What the page needs of the fake server (FakeBotAPI), without importing it back."""

    @property
    def world(self) -> World: ...

    @property
    def methods(self) -> Methods: ...

    @property
    def personas(self) -> Sequence[JsonDict]: ...

    @property
    def time_zone(self) -> str | None: ...

    def get_user(self, user_id: int) -> FakeUser: ...


PAGE_PATH = Path(__file__).with_name("sandbox.html")
MAX_LONG_POLL = 25.0


def add_sandbox_routes(app: web.Application, api: SandboxHost) -> None:
    """Register GET / and /sandbox/api/* on the fake's application."""
    page = PAGE_PATH.read_bytes()  # once, at construction time

    async def index(request: web.Request) -> web.Response:
        return web.Response(body=page, content_type="text/html", charset="utf-8")

    sandbox = Sandbox(api)
    app.router.add_get("/", index)
    app.router.add_get("/sandbox/api/personas", sandbox.personas)
    app.router.add_get("/sandbox/api/messages", sandbox.messages)
    app.router.add_post("/sandbox/api/send", sandbox.send)
    app.router.add_post("/sandbox/api/press", sandbox.press)
    app.router.add_post("/sandbox/api/location", sandbox.location)
    app.router.add_post("/sandbox/api/photo", sandbox.photo)
    app.router.add_get("/sandbox/api/files/{file_id}", sandbox.file)


class Sandbox:
    """Endpoint handlers; every action goes through the same FakeUser API as tests."""

    def __init__(self, api: SandboxHost) -> None:
        self.api = api

    def _chat(self, user_id: Any) -> ChatState:
        try:
            chat_id = int(user_id)
        except (TypeError, ValueError):
            raise web.HTTPBadRequest(text="user_id must be an integer") from None
        if not any(int(p["user_id"]) == chat_id for p in self.api.personas):
            raise web.HTTPNotFound(text=f"unknown persona {chat_id}")
        chat = self.api.world.chat(chat_id)
        if chat is None:
            raise web.HTTPNotFound(text=f"unknown persona {chat_id}")
        return chat

    async def _body(self, request: web.Request) -> JsonDict:
        try:
            body = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="JSON body expected") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="JSON object expected")
        return body

    async def personas(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "personas": self.api.personas,
                "bot": self.api.world.bot_user,
                "time_zone": self.api.time_zone,
            }
        )

    async def messages(self, request: web.Request) -> web.Response:
        """Events (messages both ways, edits, deletes, keyboards) with seq > after.
        With wait=<seconds> it long-polls until something new arrives."""
        chat = self._chat(request.query.get("user_id"))
        try:
            after = int(request.query.get("after", "0"))
            wait = min(float(request.query.get("wait", "0")), MAX_LONG_POLL)
        except ValueError:
            raise web.HTTPBadRequest(text="after/wait must be numbers") from None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            events = _events_after(chat, after)
            remaining = deadline - loop.time()
            if events or remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.api.world.changed.wait(), remaining)
        last = events[-1]["seq"] if events else after
        keyboard = self.api.methods.reply_keyboards.get(chat.id)
        return web.json_response({"events": events, "last_seq": last, "reply_keyboard": keyboard})

    async def send(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        chat = self._chat(body.get("user_id"))
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise web.HTTPBadRequest(text="text must be a non-empty string")
        update = self.api.get_user(chat.id).send_text(text)
        return web.json_response({"ok": True, "update": update})

    async def press(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        chat = self._chat(body.get("user_id"))
        message_id, data = body.get("message_id"), body.get("data")
        if not isinstance(message_id, int) or not isinstance(data, str):
            raise web.HTTPBadRequest(text="message_id (int) and data (str) required")
        user = self.api.get_user(chat.id)
        try:
            update = user.press(message_id, data)
        except AssertionError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return web.json_response({"ok": True, "update": update})

    async def location(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        chat = self._chat(body.get("user_id"))
        lat, lon = _number(body.get("latitude")), _number(body.get("longitude"))
        if lat is None or lon is None:
            raise web.HTTPBadRequest(text="latitude and longitude must be numbers")
        accuracy = _number(body.get("horizontal_accuracy"))
        update = self.api.get_user(chat.id).send_location(lat, lon, accuracy)
        return web.json_response({"ok": True, "update": update})

    async def photo(self, request: web.Request) -> web.Response:
        """multipart: user_id, photo (file), optional caption."""
        fields: dict[str, str] = {}
        data: bytes | None = None
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.filename is not None:
                data = bytes(await part.read())
            elif part.name:
                fields[part.name] = await part.text()
        chat = self._chat(fields.get("user_id"))
        if not data:
            raise web.HTTPBadRequest(text="photo file part required")
        caption = fields.get("caption") or None
        update = self.api.get_user(chat.id).send_photo(data, caption)
        return web.json_response({"ok": True, "update": update})

    async def file(self, request: web.Request) -> web.Response:
        """File bytes by file_id, so the page can show photos and offer downloads."""
        record = self.api.world.files.get(request.match_info["file_id"])
        if record is None:
            raise web.HTTPNotFound(text="no such file")
        headers = {}
        if record.filename:
            headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(record.filename)}"
        return web.Response(
            body=record.data,
            content_type=record.mime_type or "application/octet-stream",
            headers=headers,
        )


def _events_after(chat: ChatState, after: int) -> list[JsonDict]:
    index = bisect.bisect_right(chat.events, after, key=lambda e: int(e["seq"]))
    return chat.events[index:]


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
