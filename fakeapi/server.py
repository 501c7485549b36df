"""FakeBotAPI: a Telegram Bot API look-alike over real HTTP (aiohttp.web).

Why: end-to-end tests run the real aiogram Dispatcher against it, so every request
the bot makes is validated against the official spec and Telegram's limits, and
tests can drive users and wait for the bot's answers without sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import BodyPartReader, web

from fakeapi.errors import ApiError, Invalid
from fakeapi.methods import Methods, scope_key
from fakeapi.sandbox import add_sandbox_routes
from fakeapi.schema import RawValue, Schema, Upload
from fakeapi.state import ChatState, JsonDict, World
from fakeapi.users import FakeUser
from fakeapi.webhook import GET_UPDATES_CONFLICT, WebhookDelivery

T = TypeVar("T")
DEFAULT_BOT_USERNAME = "cadrebot_sandbox_bot"
MAX_UPLOAD = 60 * 1024 * 1024
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_DEFAULT_FAULT_TEXT = {
    400: "Bad Request: injected failure",
    403: "Forbidden: injected failure",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
# What Telegram answers every call made with a token it refuses (fakeapi `refuse_token`).
TOKEN_REFUSALS = {401: "Unauthorized", 404: "Not Found"}


class WaitTimeout(AssertionError):
    """A wait helper gave up; the message says what was expected and what was seen."""


@dataclass
class CallRecord:
    """One HTTP call the bot made (for rate assertions and benchmarks)."""

    method: str
    params: JsonDict
    time: float
    status: int
    duration: float = 0.0
    description: str | None = None


@dataclass
class Fault:
    """An injected failure for the next `times` matching calls."""

    method: str
    error_code: int
    retry_after: int
    chat_id: int | None
    times: int
    description: str | None


async def serve(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Serve `app` on host:port (0 = any free port): its runner and base URL."""
    runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError:  # the port is taken (or not ours to open): leave nothing behind
        await runner.cleanup()
        raise
    bound_port = int(runner.addresses[0][1]) if runner.addresses else port
    return runner, f"http://{host}:{bound_port}"


class FakeBotAPI:
    """One fake Telegram server for one bot token; all state lives on the instance."""

    def __init__(
        self,
        token: str,
        *,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_first_name: str = "Cadrebot Sandbox",
        sandbox_personas: Sequence[Mapping[str, Any]] | None = None,
        time_zone: str | None = None,
        schema: Schema | None = None,
        max_poll_timeout: float = 50.0,
    ) -> None:
        self.token = token
        self.schema = schema or Schema.load()
        head = token.split(":", 1)[0]
        bot_user: JsonDict = {
            "id": int(head) if head.isdigit() else 1,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.world = World(bot_user)
        self.methods = Methods(self.world)
        # setWebhook, deleteWebhook and getWebhookInfo: deliveries by POST while one is set.
        self.webhook = WebhookDelivery(self.world)
        self.methods.handlers["setWebhook"] = self.webhook.set_webhook
        self.methods.handlers["deleteWebhook"] = self.webhook.delete_webhook
        self.methods.handlers["getWebhookInfo"] = self.webhook.get_webhook_info
        self.calls: list[CallRecord] = []
        self.violations: list[str] = []
        self.rejections: list[str] = []
        self.max_poll_timeout = max_poll_timeout
        self.base_url: str | None = None
        self._faults: list[Fault] = []
        # While set, every call answers this status (the token revoked, or the bot deleted).
        self.token_refusal: int | None = None
        self._users: dict[int, FakeUser] = {}
        self._inflight = 0
        self._polls_waiting = 0
        self._poll_token: object | None = None
        self._stopping = False
        self._runner: web.AppRunner | None = None
        self.personas: list[JsonDict] = [dict(p) for p in sandbox_personas or []]
        # The IANA zone the sandbox page shows times in (the bot's texts use it); None: the
        # browser's own. A plain name: the fake knows nothing of the bot's settings.
        self.time_zone = time_zone
        for persona in self.personas:
            self.user(
                int(persona["user_id"]),
                str(persona["name"]),
                str(persona.get("language_code", "zh")),
            )
        self.app = self._make_app()

    # -- lifecycle ------------------------------------------------------------------------

    def _make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        if self.personas:
            add_sandbox_routes(app, self)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 = any free port); returns the base URL for aiogram."""
        self._stopping = False
        self._runner, self.base_url = await serve(self.app, host, port)
        return self.base_url

    def prepare(self) -> None:
        """Ready to answer requests served by another server (fakeapi.front), not started."""
        self._stopping = False

    async def handle_method(self, request: web.Request) -> web.StreamResponse:
        """A Bot API call `/bot{token}/{method}` (for a front serving several fakes)."""
        return await self._handle_method(request)

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        """A file download `/file/bot{token}/{path}` (for a front serving several fakes)."""
        return await self._handle_file(request)

    async def stop(self) -> None:
        """Wake long polls and shut the server down quickly."""
        self._stopping = True
        await self.webhook.stop()
        self.world.updates.available.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- user side ------------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str,
        language_code: str = "zh",
        username: str | None = None,
    ) -> FakeUser:
        """Create (or update) a user with a private chat whose id equals user_id."""
        data: JsonDict = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }
        if username is not None:
            data["username"] = username
        chat = self.world.add_chat(data)
        fake = self._users.get(user_id)
        if fake is None:
            fake = FakeUser(self.world, self.methods, chat)
            self._users[user_id] = fake
        return fake

    def get_user(self, user_id: int) -> FakeUser:
        """An existing fake user (KeyError if api.user() never created it)."""
        return self._users[user_id]

    def redeliver(self, update: JsonDict) -> None:
        """Deliver an already-seen update again (same update_id), like after a crash."""
        if self.webhook.active:
            self.webhook.redeliver(update)
        else:
            self.world.updates.redeliver(update)

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: sends/edits to the chat answer 403 until unblock.

        As Telegram does, the bot also gets a my_chat_member update (member -> kicked)."""
        self._require_chat(chat_id).blocked = True
        self._member_update(chat_id, "member", "kicked")

    def unblock(self, chat_id: int) -> None:
        self._require_chat(chat_id).blocked = False
        self._member_update(chat_id, "kicked", "member")

    def _member_update(self, chat_id: int, old: str, new: str) -> None:
        chat = self._require_chat(chat_id)
        bot = self.world.bot_user

        def member(status: str) -> JsonDict:
            return {
                "status": status,
                "user": bot,
                **({"until_date": 0} if status == "kicked" else {}),
            }

        body: JsonDict = {
            "chat": chat.chat,
            "from": chat.user,
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        self.world.updates.enqueue("my_chat_member", body)
        self.world.notify()

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int = 1,
        chat_id: int | None = None,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (optionally to `chat_id`) fail."""
        self._faults.append(
            Fault(method.lower(), error_code, retry_after, chat_id, times, description)
        )

    def refuse_token(self, status: int = 401) -> None:
        """From now on Telegram refuses this bot's token: 401 (revoked) or 404 (the bot
        deleted) to every call, a parked long poll included. Calls are still recorded and
        checked against the schema."""
        if status not in TOKEN_REFUSALS:
            raise ValueError(f"a refused token gets 401 or 404, not {status}")
        self.token_refusal = status
        self.world.updates.available.set()  # the parked long poll answers the refusal

    def _expected_errors(self) -> tuple[int | None, ...]:
        """4xx answers that are no mistake of the bot's (a refused token: the test's doing)."""
        return (401, 403, 409, 429, self.token_refusal)

    def _refused(self) -> ApiError | None:
        status = self.token_refusal
        return None if status is None else ApiError(status, TOKEN_REFUSALS[status])

    # -- inspection -----------------------------------------------------------------------

    def messages_to(self, chat_id: int) -> list[JsonDict]:
        """Every bot message to the chat, current version (deleted ones included)."""
        return [copy.deepcopy(m.current) for m in self._require_chat(chat_id).bot_messages]

    def message(self, chat_id: int, message_id: int) -> JsonDict:
        """Current version of a message in the chat."""
        return copy.deepcopy(self._require_chat(chat_id).messages[message_id].current)

    def versions(self, chat_id: int, message_id: int) -> list[JsonDict]:
        """All versions of a message: [as sent, after edit 1, ...]."""
        return copy.deepcopy(self._require_chat(chat_id).messages[message_id].versions)

    def is_deleted(self, chat_id: int, message_id: int) -> bool:
        return self._require_chat(chat_id).messages[message_id].deleted

    def callback_answer(self, callback_query_id: str) -> JsonDict | None:
        record = self.methods.callbacks.get(callback_query_id)
        return None if record is None or record.answer is None else dict(record.answer)

    def commands(
        self, scope: JsonDict | None = None, language_code: str = ""
    ) -> list[JsonDict] | None:
        """Commands stored by setMyCommands for scope+language (None if never set)."""
        found = self.methods.settings.commands.get((scope_key(scope), language_code))
        return copy.deepcopy(found)

    def file_bytes(self, file_id: str) -> bytes:
        return self.world.files[file_id].data

    def calls_of(self, method: str) -> list[CallRecord]:
        lowered = method.lower()
        return [c for c in self.calls if c.method.lower() == lowered]

    def assert_no_violations(self) -> None:
        """For fixtures: fail when the bot sent anything the real API would refuse."""
        if self.violations:
            raise AssertionError("Bot API violations:\n" + "\n".join(self.violations))

    # -- waiting --------------------------------------------------------------------------

    async def _wait(
        self, probe: Callable[[], T | None], timeout: float, describe: Callable[[], str]
    ) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = probe()
            if result is not None:
                return result
            changed = self.world.changed
            remaining = deadline - loop.time()
            if remaining <= 0:
                extra = f"; violations: {self.violations}" if self.violations else ""
                raise WaitTimeout(f"{describe()} (waited {timeout}s){extra}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def wait_for_messages(
        self, chat_id: int, count: int = 1, timeout: float = 5.0
    ) -> list[JsonDict]:
        """Wait for `count` unread bot messages to the chat; return exactly those, oldest
        first (current versions), and advance the chat's read cursor past them."""
        chat = self._require_chat(chat_id)

        def probe() -> list[JsonDict] | None:
            start = chat.read_cursor
            if len(chat.bot_messages) - start < count:
                return None
            chat.read_cursor = start + count
            return [copy.deepcopy(m.current) for m in chat.bot_messages[start : start + count]]

        def describe() -> str:
            unread = len(chat.bot_messages) - chat.read_cursor
            return f"expected {count} new bot message(s) to chat {chat_id}, have {unread}"

        return await self._wait(probe, timeout, describe)

    def unread(self, chat_id: int) -> list[JsonDict]:
        """Return (and mark read) all unread bot messages to the chat without waiting."""
        chat = self._require_chat(chat_id)
        fresh = chat.bot_messages[chat.read_cursor :]
        chat.read_cursor = len(chat.bot_messages)
        return [copy.deepcopy(m.current) for m in fresh]

    async def wait_for_edit(self, chat_id: int, message_id: int, timeout: float = 5.0) -> JsonDict:
        """Wait for the next not-yet-seen edit of a message; return that version."""
        chat = self._require_chat(chat_id)

        def probe() -> JsonDict | None:
            stored = chat.messages.get(message_id)
            if stored is None:
                return None
            seen = chat.edit_cursors.get(message_id, 0)
            if len(stored.versions) - 1 <= seen:
                return None
            chat.edit_cursors[message_id] = seen + 1
            return copy.deepcopy(stored.versions[seen + 1])

        return await self._wait(
            probe, timeout, lambda: f"expected an edit of message {message_id} in chat {chat_id}"
        )

    async def wait_for_callback_answer(
        self, callback_query: str | JsonDict, timeout: float = 5.0
    ) -> JsonDict:
        """Wait until the bot answered the callback query (its id, or the update dict that
        press/forge_callback returned); return the answerCallbackQuery params."""
        query_id = callback_query
        if isinstance(query_id, dict):
            query_id = str(query_id.get("callback_query", query_id)["id"])
        return await self._wait(
            lambda: self.callback_answer(query_id),
            timeout,
            lambda: f"expected answerCallbackQuery for {query_id}",
        )

    def sent_html(self, chat_id: int, message_id: int) -> str | None:
        """The HTML source of the latest version of a bot message (parse_mode=HTML), since
        message["text"] holds what the user sees, tags removed, as Telegram returns it."""
        for event in reversed(self._require_chat(chat_id).events):
            if event["message"].get("message_id") == message_id and "html" in event:
                return str(event["html"])
        return None

    async def wait_for_call(self, method: str, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until `method` was called at least `count` times in total."""
        await self._wait(
            lambda: True if len(self.calls_of(method)) >= count else None,
            timeout,
            lambda: f"expected {count} call(s) of {method}, have {len(self.calls_of(method))}",
        )

    async def wait_for_poll(self, timeout: float = 5.0) -> None:
        """Wait until a getUpdates long poll is parked on the server (the bot is listening)."""
        await self._wait(
            lambda: True if self._polls_waiting > 0 else None,
            timeout,
            lambda: "expected the bot to be waiting in getUpdates",
        )

    async def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until every enqueued update was confirmed by a later getUpdates offset, no
        other API request is in flight and the bot is parked in a long poll. Exact only when
        the Dispatcher runs with handle_as_tasks=False (aiogram's default runs handlers as
        tasks, so a handler may still be busy between its API calls)."""
        queue = self.world.updates

        def probe() -> bool | None:
            done = (
                queue.last_enqueued_id < queue.confirmed_below
                and not queue.forced
                and self._inflight == self._polls_waiting
                and self._polls_waiting > 0
            )
            return True if done else None

        await self._wait(probe, timeout, lambda: "expected the bot to become idle")

    # -- HTTP -----------------------------------------------------------------------------

    def _require_chat(self, chat_id: int) -> ChatState:
        chat = self.world.chat(chat_id)
        if chat is None:
            raise KeyError(f"no fake user/chat {chat_id}; create it with api.user(...)")
        return chat

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return error_response(ApiError(401, "Unauthorized"))
        record = self.world.files_by_path.get(request.match_info["path"])
        if record is None:
            return error_response(ApiError(404, "Not Found"))
        return web.Response(
            body=record.data, content_type=record.mime_type or "application/octet-stream"
        )

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        started = time.time()
        name = request.match_info["method"]
        record = CallRecord(method=name, params={}, time=started, status=200)
        self.calls.append(record)
        self._inflight += 1
        try:
            result = await self._dispatch(request, record)
        except ApiError as exc:
            record.status, record.description = exc.status, exc.description
            note = f"{record.method}: {exc.description}"
            if exc.violation:
                self.violations.append(note)
            elif 400 <= exc.status < 500 and exc.status not in self._expected_errors():
                self.rejections.append(note)
            return error_response(exc)
        finally:
            self._inflight -= 1
            record.duration = time.time() - started
            self.world.notify()
        return web.json_response({"ok": True, "result": result})

    async def _dispatch(self, request: web.Request, record: CallRecord) -> Any:
        if request.match_info["token"] != self.token:
            raise ApiError(401, "Unauthorized")
        method = self.schema.canonical_method(record.method)
        if method is None:
            raise ApiError(404, "Not Found: method not found", violation=True)
        record.method = method
        raw, uploads = await self._read_params(request, method)
        try:
            params = self.schema.validate_request(method, raw, uploads)
        except Invalid as exc:
            raise ApiError(400, f"Bad Request: {exc.reason}", violation=True) from None
        record.params = params
        refused = self._refused()
        if refused is not None:
            raise refused
        self._apply_faults(method, params)
        if self.methods.blocked_chat(method, params):
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if method == "getUpdates":
            if self.webhook.active:
                raise ApiError(409, GET_UPDATES_CONFLICT)
            return await self._get_updates(params)
        handler = self.methods.handlers.get(method)
        if handler is not None:
            return await handler(params)
        if self.schema.returns_true(method):
            return True
        raise ApiError(501, f"Not Implemented: fakeapi does not implement {method}", violation=True)

    async def _read_params(
        self, request: web.Request, method: str
    ) -> tuple[dict[str, RawValue], dict[str, Upload]]:
        raw = {k: RawValue(v, True) for k, v in request.query.items()}
        uploads: dict[str, Upload] = {}
        if not request.body_exists:
            return raw, uploads
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON body", violation=True) from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: JSON body must be an object", violation=True)
            raw.update({k: RawValue(v, False) for k, v in body.items()})
        elif ctype == "multipart/form-data":
            fields = self.schema.methods[method]["fields"]
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                name = part.name or ""
                if part.filename is not None:
                    data = bytes(await part.read())
                    upload = Upload(name, part.filename, part.headers.get("Content-Type", ""), data)
                    uploads[name] = upload
                    if name in fields:
                        raw[name] = RawValue(upload, True)
                else:
                    raw[name] = RawValue(await part.text(), True)
        elif ctype == "application/x-www-form-urlencoded":
            form = await request.post()
            raw.update({k: RawValue(str(v), True) for k, v in form.items()})
        return raw, uploads

    def _apply_faults(self, method: str, params: JsonDict) -> None:
        lowered = method.lower()
        for fault in self._faults:
            if fault.method != lowered:
                continue
            if fault.chat_id is not None and params.get("chat_id") != fault.chat_id:
                continue
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            if fault.error_code == 429:
                text = fault.description or f"Too Many Requests: retry after {fault.retry_after}"
                raise ApiError(429, text, retry_after=fault.retry_after)
            text = fault.description or _DEFAULT_FAULT_TEXT.get(fault.error_code, "Injected")
            raise ApiError(fault.error_code, text)

    async def _get_updates(self, params: JsonDict) -> Any:
        queue = self.world.updates
        me = object()
        previous, self._poll_token = self._poll_token, me
        if previous is not None:
            queue.available.set()  # wakes the older poll, which sees it was superseded
        queue.confirm(params.get("offset"))
        queue.set_allowed(params.get("allowed_updates"))
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        timeout = min(max(float(params.get("timeout", 0)), 0.0), self.max_poll_timeout)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._polls_waiting += 1
        self.world.notify()
        try:
            while True:
                if self._poll_token is not me:
                    raise ApiError(409, CONFLICT)
                refused = self._refused()
                if refused is not None:
                    raise refused
                batch = queue.take(limit)
                remaining = deadline - loop.time()
                if batch or remaining <= 0 or self._stopping:
                    return batch
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(queue.available.wait(), remaining)
        finally:
            self._polls_waiting -= 1
            if self._poll_token is me:
                self._poll_token = None


def error_response(exc: ApiError) -> web.Response:
    body: JsonDict = {"ok": False, "error_code": exc.status, "description": exc.description}
    if exc.retry_after is not None:
        body["parameters"] = {"retry_after": exc.retry_after}
    return web.json_response(body, status=exc.status)
