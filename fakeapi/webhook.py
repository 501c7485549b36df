"""setWebhook made real: queued updates are POSTed to the bot, as Telegram does.

Telegram's behaviour, as the fake plays it: the update is JSON in the body, the secret
token (if set) in X-Telegram-Bot-Api-Secret-Token; a 2xx answer confirms it, anything else
(or no answer) is retried later with a growing pause; at most `max_connections` requests
in flight; a chat's next update waits until its previous one was answered; getUpdates
answers 409 while a webhook is set; deleteWebhook stops the deliveries.

For tests of replicas, `balance()` puts a load balancer in front: each POST (retries too)
goes to the next URL of a list, round robin. `per_chat_order=False` drops Telegram's
one-at-a-time per chat, so two updates of one chat are in flight at once on different
replicas (the later one started `stagger` seconds after the earlier one: a chat's updates
are still sent in order); `shuffle` sends updates of different chats in random order.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from fakeapi.state import JsonDict, World

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
GET_UPDATES_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


@dataclass
class Delivery:
    """One POST of an update: where, the answer's status (None: no answer) and when."""

    update_id: int
    url: str
    status: int | None
    time: float
    error: str | None = None


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40


@dataclass
class _Balance:
    urls: list[str]
    per_chat_order: bool = True
    shuffle: bool = False
    stagger: float = 0.05
    rng: random.Random = field(default_factory=random.Random)


def update_chat(update: JsonDict) -> int | None:
    """The chat whose updates Telegram sends one at a time (None: no chat)."""
    for key, body in update.items():
        if key == "update_id" or not isinstance(body, dict):
            continue
        chat = body.get("chat") or (body.get("message") or {}).get("chat")
        if isinstance(chat, dict):
            return int(chat["id"])
        sender = body.get("from")
        if isinstance(sender, dict):
            return int(sender["id"])
    return None


class WebhookDelivery:
    """The fake's webhook: one delivery loop while a webhook is set."""

    def __init__(
        self,
        world: World,
        *,
        retry_delay: float = 0.1,
        max_retry_delay: float = 2.0,
        request_timeout: float = 60.0,
    ) -> None:
        self.world = world
        self.config: WebhookConfig | None = None
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self.request_timeout = request_timeout
        self.deliveries: list[Delivery] = []
        self.confirmed: list[int] = []  # update ids answered 2xx, in the order answered
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self._balance: _Balance | None = None
        self._next_url = 0
        self._waiting: list[JsonDict] = []
        self._inflight: dict[int, int | None] = {}  # update id -> chat
        # chat -> loop time of its latest scheduled first post: the next starts `stagger` after.
        self._chat_posted_at: dict[int, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None

    # -- the Bot API methods ------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.config is not None

    async def set_webhook(self, params: JsonDict) -> Any:
        url = str(params.get("url") or "")
        if not url:
            await self.delete_webhook(params)
            return True
        self.config = WebhookConfig(
            url=url,
            secret_token=params.get("secret_token"),
            max_connections=int(params.get("max_connections") or 40),
        )
        self.world.updates.set_allowed(params.get("allowed_updates"))
        if params.get("drop_pending_updates"):
            self.world.updates.confirm(self.world.updates.last_enqueued_id + 1)
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.create_task(self._run())
        self._wake.set()
        return True

    async def delete_webhook(self, params: JsonDict) -> Any:
        await self.stop()
        if params.get("drop_pending_updates"):
            self.world.updates.confirm(self.world.updates.last_enqueued_id + 1)
        return True

    async def get_webhook_info(self, params: JsonDict) -> Any:
        info: JsonDict = {
            "url": self.config.url if self.config else "",
            "has_custom_certificate": False,
            "pending_update_count": self.pending_update_count,
        }
        if self.config is not None:
            info["max_connections"] = self.config.max_connections
            allowed = self.world.updates.allowed
            if allowed is not None:
                info["allowed_updates"] = sorted(allowed)
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info

    @property
    def pending_update_count(self) -> int:
        queue = self.world.updates
        return len(queue.pending) + len(queue.forced) + len(self._waiting) + len(self._inflight)

    # -- test controls --------------------------------------------------------------------

    def balance(
        self,
        urls: Sequence[str],
        *,
        per_chat_order: bool = True,
        shuffle: bool = False,
        stagger: float = 0.05,
        seed: int | None = None,
    ) -> None:
        """Post to these URLs in turn instead of the webhook's URL (a load balancer)."""
        self._balance = _Balance(list(urls), per_chat_order, shuffle, stagger, random.Random(seed))

    def redeliver(self, update: JsonDict) -> None:
        """Post an already answered update again (same update_id)."""
        self.world.updates.redeliver(update)
        self._wake.set()

    async def wait_delivered(self, timeout: float = 10.0) -> None:
        """Until nothing is queued, waiting or in flight."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.pending_update_count:
            if loop.time() >= deadline:
                raise AssertionError(
                    f"webhook: {self.pending_update_count} update(s) still undelivered "
                    f"(last error: {self.last_error_message})"
                )
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        """No more deliveries; what was not answered goes back to the queue."""
        self.config = None
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._waiting:
            queue = self.world.updates
            queue.pending.extendleft(reversed(sorted(self._waiting, key=_update_id)))
            queue.available.set()
            self._waiting.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- delivery -------------------------------------------------------------------------

    async def _run(self) -> None:
        queue = self.world.updates
        while self.config is not None:
            batch = queue.take(100)
            if batch:
                queue.confirm(max(_update_id(u) for u in batch) + 1)
                self._waiting.extend(batch)
            self._start_eligible()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.02)

    def _start_eligible(self) -> None:
        config = self.config
        if config is None or not self._waiting:
            return
        balance = self._balance
        candidates = sorted(self._waiting, key=_update_id)
        if balance is not None and balance.shuffle:
            balance.rng.shuffle(candidates)
        per_chat_order = balance is None or balance.per_chat_order
        busy = {chat for chat in self._inflight.values() if chat is not None}
        for update in candidates:
            if len(self._inflight) >= config.max_connections:
                break
            chat = update_chat(update)
            if chat is not None and per_chat_order:
                if chat in busy or self._earlier_waiting(update, chat):
                    continue
                busy.add(chat)
            elif chat is not None and self._earlier_waiting(update, chat):
                continue  # a chat's updates start in order, even without waiting for answers
            self._waiting.remove(update)
            self._inflight[_update_id(update)] = chat
            # Same chat, no waiting for answers: each later one is first posted `stagger` after
            # the one before it, in this pass or an earlier one (a chat's updates go out in
            # order, as Telegram sends them; only answers may overlap).
            delay = 0.0
            if chat is not None and balance is not None:
                now = asyncio.get_running_loop().time()
                previous = self._chat_posted_at.get(chat)
                if previous is not None:
                    delay = max(0.0, previous + balance.stagger - now)
                self._chat_posted_at[chat] = now + delay
            task = asyncio.create_task(self._deliver(update, delay))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _earlier_waiting(self, update: JsonDict, chat: int) -> bool:
        mine = _update_id(update)
        return any(_update_id(u) < mine and update_chat(u) == chat for u in self._waiting)

    def _url(self) -> str:
        if self._balance is not None and self._balance.urls:
            url = self._balance.urls[self._next_url % len(self._balance.urls)]
            self._next_url += 1
            return url
        assert self.config is not None
        return self.config.url

    async def _deliver(self, update: JsonDict, delay: float) -> None:
        update_id = _update_id(update)
        pause = self.retry_delay
        try:
            if delay:
                await asyncio.sleep(delay)
            while self.config is not None:
                url = self._url()
                status, error = await self._post(url, update)
                self.deliveries.append(Delivery(update_id, url, status, time.time(), error))
                if status is not None and 200 <= status < 300:
                    self.confirmed.append(update_id)
                    return
                self.last_error_date = int(time.time())
                self.last_error_message = error or f"Wrong response from the webhook: {status}"
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.max_retry_delay)
        except asyncio.CancelledError:
            self._waiting.append(update)  # not answered: delivered again later
            raise
        finally:
            self._inflight.pop(update_id, None)
            self._wake.set()
            self.world.notify()

    async def _post(self, url: str, update: JsonDict) -> tuple[int | None, str | None]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {}
        if self.config is not None and self.config.secret_token:
            headers[SECRET_HEADER] = self.config.secret_token
        try:
            async with self._session.post(
                url,
                json=copy.deepcopy(update),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.request_timeout),
            ) as response:
                await response.read()
                return response.status, None
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            return None, f"Connection failed: {type(error).__name__}"


def _update_id(update: JsonDict) -> int:
    return int(update["update_id"])
