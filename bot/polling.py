"""Long polling that confirms an update only when it was handled or failed for good.

aiogram's own polling either handles updates one by one (safe, slow) or as fire-and-forget
tasks (fast, but Telegram forgets an update as soon as the next getUpdates asks for a higher
offset, so a crash loses whatever was still running). This loop takes a batch, handles it
with chats in parallel and each chat's updates in order, and only then asks for the next
batch: a crash means redelivery (which the database's unique keys make harmless), never loss.

A failure that may pass (the database connection dropped or the database busy, a timeout,
Telegram's 5xx, 429 or network errors) is retried with backoff while that chat's later
updates wait and other chats go on. Still failing after the last try of a batch, the update
is not confirmed: the next getUpdates hands it out again (updates after it that were handled
are remembered and skipped). Any other exception is a bug: it is logged with the update's id
and kind, the update is confirmed, and the person is told whether anything was saved.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import signal
import socket
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates
from aiogram.types import Update
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from bot.observing import UpdateMonitor, settle_handled
from bot.update_context import ERROR, RETRY, UpdateContext
from ui.i18n import Catalogs
from ui.views.failure import failure_text

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30.0
# Waits between the tries of one update within one batch: 5 tries over about 7.5 s.
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)
# An update still failing this long after its first failure has failed for good.
GIVE_UP_AFTER_SECONDS = 300.0
# PostgreSQL SQLSTATEs that pass: connection exceptions (08...), the server shutting down or
# starting (57P01-57P03), too many connections, serialization failure, deadlock, lock timeout.
TRANSIENT_SQLSTATE_PREFIXES = ("08", "57P0", "53300", "40001", "40P01", "55P03")
# SQLite errors that pass (another writer, a full disk being freed); not "no such table".
TRANSIENT_SQLITE_WORDS = ("locked", "busy", "disk i/o", "unable to open", "connection closed")


def chat_key(update: Update) -> int | None:
    """The chat whose updates must stay in order (None: no chat, order does not matter)."""
    event = update.event
    chat = getattr(event, "chat", None) or getattr(getattr(event, "message", None), "chat", None)
    if chat is not None:
        return int(chat.id)
    user = getattr(event, "from_user", None)
    return int(user.id) if user is not None else None


def is_transient(error: BaseException) -> bool:
    """True when trying the same update again may succeed (an outage, not a bug)."""
    if isinstance(error, TelegramRetryAfter | TelegramNetworkError | TelegramServerError):
        return True
    if isinstance(error, sa_exc.TimeoutError | TimeoutError | ConnectionError | socket.gaierror):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated or isinstance(error, sa_exc.InterfaceError):
            return True
        sqlstate = str(getattr(error.orig, "sqlstate", None) or "")
        if sqlstate.startswith(TRANSIENT_SQLSTATE_PREFIXES):
            return True
        if isinstance(error, sa_exc.OperationalError):
            if not isinstance(error.orig, sqlite3.Error):
                return True  # another driver's OperationalError: the server, not the query
            text = str(error.orig).lower()
            return any(word in text for word in TRANSIENT_SQLITE_WORDS)
        return isinstance(error.orig, ConnectionError | TimeoutError)
    return False


@dataclass
class _Handling:
    """One update being handled by the poller: whether a write was committed (what to tell
    the person on a failure), and when its retries end."""

    give_up_at: float
    committed: bool = False
    # The language the person's replies are in (their /lang choice), once the roster is read.
    locale: str | None = None


UpdateHandling = _Handling  # for the webhook (bot.webhook), which handles updates too

_handling: contextvars.ContextVar[_Handling | None] = contextvars.ContextVar(
    "cadrebot_update_handling", default=None
)


def note_reply_locale(locale: str) -> None:
    """Remember the update's reply language, so a failure notice is in it too."""
    handling = _handling.get()
    if handling is not None:
        handling.locale = locale


_WROTE = "cadrebot_update_wrote"
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "MERGE")


def _transaction_began(conn: Any) -> None:
    conn.info.pop(_WROTE, None)


def _statement(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    handling = _handling.get()
    if handling is not None and statement.lstrip()[:6].upper().startswith(_WRITE_VERBS):
        conn.info[_WROTE] = handling


def _committed(conn: Any) -> None:
    wrote = conn.info.pop(_WROTE, None)
    current = _handling.get()
    if current is not None and wrote is current:
        current.committed = True


def track_committed_writes() -> None:
    """Listen (once per process, on every engine) for writes committed while an update is
    handled; other code (the sender, the CLI) sees one context-variable lookup per statement."""
    for name, listener in (
        ("begin", _transaction_began),
        ("before_cursor_execute", _statement),
        ("commit", _committed),
    ):
        if not event.contains(Engine, name, listener):
            event.listen(Engine, name, listener)


class BatchPoller:
    """Polls one bot for one Dispatcher until `stop()`."""

    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        *,
        timeout: int = 25,
        limit: int = 100,
        parallel_chats: int = 8,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        give_up_after: float = GIVE_UP_AFTER_SECONDS,
        monitor: UpdateMonitor | None = None,
    ) -> None:
        self._bot = bot
        # Each update's summary log line and, with metrics on, its count and time.
        self.monitor = monitor or UpdateMonitor()
        self._dispatcher = dispatcher
        self._timeout = timeout
        self._limit = limit
        self._parallel_chats = parallel_chats
        self._retry_delays = tuple(retry_delays)
        self._give_up_after = give_up_after
        self._stopping = asyncio.Event()
        # Handled (or failed for good) but not yet confirmed: an earlier update of another
        # chat is still failing, so the offset stays below these and they come again.
        self._done: set[int] = set()
        self._failing_since: dict[int, float] = {}
        self.offset: int | None = None
        track_committed_writes()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self, *, handle_signals: bool = False) -> None:
        if handle_signals:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(signum, self.stop)
        workflow = {"dispatcher": self._dispatcher, "bots": [self._bot]}
        workflow.update(self._dispatcher.workflow_data)
        await self._dispatcher.emit_startup(bot=self._bot, **workflow)
        try:
            await self._loop()
        finally:
            await self._dispatcher.emit_shutdown(bot=self._bot, **workflow)

    async def _loop(self) -> None:
        request = GetUpdates(
            timeout=self._timeout,
            limit=self._limit,
            allowed_updates=self._dispatcher.resolve_used_update_types(),
        )
        backoff = 0.5
        stopping = asyncio.create_task(self._stopping.wait())
        try:
            while not self._stopping.is_set():
                request.offset = self.offset
                fetch = asyncio.create_task(self._bot(request, request_timeout=self._timeout + 10))
                done, _ = await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if fetch not in done:  # stopping: nothing of this poll was handled yet
                    fetch.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await fetch
                    return
                try:
                    updates = fetch.result()
                except TelegramRetryAfter as error:
                    await self._sleep(error.retry_after)
                    continue
                except (TelegramNetworkError, TelegramServerError) as error:
                    logger.warning("getUpdates failed (%r); retrying in %.1fs", error, backoff)
                    await self._sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                    continue
                backoff = 0.5
                if updates:
                    self._advance(await self.handle_batch(updates), updates)
            await self._confirm_on_stop(request.offset)
        finally:
            stopping.cancel()

    def _advance(self, first_left: int | None, updates: Sequence[Update]) -> None:
        """Confirm up to the first update left for a later try (all of them if none)."""
        self.offset = first_left if first_left is not None else updates[-1].update_id + 1
        self._done = {update_id for update_id in self._done if update_id >= self.offset}

    async def _confirm_on_stop(self, confirmed: int | None) -> None:
        """Tell Telegram what the last batch handled, so a restart does not hand it out
        again (a poll without waiting; the update it may return stays unconfirmed)."""
        if self.offset is None or self.offset == confirmed:
            return
        with contextlib.suppress(Exception):
            await self._bot(GetUpdates(offset=self.offset, limit=1, timeout=0), request_timeout=5)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def handle_batch(self, updates: Sequence[Update]) -> int | None:
        """Chats in parallel, each chat's updates in the order Telegram sent them. Returns
        the id of the first update left for the next batch (None: all handled)."""
        by_chat: dict[int | None, list[Update]] = defaultdict(list)
        for update in updates:
            by_chat[chat_key(update)].append(update)
        lanes = [group for key, group in by_chat.items() if key is not None]
        lanes += [[update] for update in by_chat.get(None, [])]
        slots = asyncio.Semaphore(self._parallel_chats)
        left = await asyncio.gather(*(self._in_order(lane, slots) for lane in lanes))
        return min((update_id for update_id in left if update_id is not None), default=None)

    async def _in_order(self, updates: list[Update], slots: asyncio.Semaphore) -> int | None:
        async with slots:
            return await self._feed_each(updates)

    async def _feed_each(self, updates: list[Update]) -> int | None:
        """One chat's updates in order; the first that must wait stops the chat's lane."""
        for update in updates:
            if update.update_id in self._done:  # handled in an earlier batch, not confirmed
                self.monitor.duplicate(update, chat_key(update))
                continue
            if not await self._feed_one(update):
                return update.update_id
            self._done.add(update.update_id)
        return None

    async def _feed_one(self, update: Update) -> bool:
        """True when handled or failed for good; False: try again in the next batch."""
        with self.monitor.delivery(update, chat_key(update)) as delivery:
            return await self._feed_tries(update, delivery)

    async def _feed_tries(self, update: Update, delivery: UpdateContext) -> bool:
        since = self._failing_since.get(update.update_id, time.monotonic())
        handling = _Handling(give_up_at=since + self._give_up_after)
        for attempt in range(len(self._retry_delays) + 1):
            token = _handling.set(handling)
            try:
                result = await self._dispatcher.feed_update(self._bot, update)
            except Exception as error:  # noqa: BLE001 - sorted into transient and bug below
                if not is_transient(error):
                    delivery.outcome = ERROR
                    logger.exception(
                        "update %r (%s) failed for good; confirmed",
                        update.update_id,
                        update.event_type,
                    )
                    await self._tell_failed(update, handling)
                    return True
                outcome = await self._after_transient(update, error, attempt, handling)
                if outcome != "retry":
                    delivery.outcome = ERROR if outcome == "given up" else RETRY
                    return outcome == "given up"
            else:
                settle_handled(delivery, result)
                self._failing_since.pop(update.update_id, None)
                return True
            finally:
                _handling.reset(token)
        delivery.outcome = RETRY
        return False

    async def _after_transient(
        self, update: Update, error: Exception, attempt: int, handling: _Handling
    ) -> Literal["retry", "later", "given up"]:
        """Back off and try again, leave the update for the next batch, or (failing for too
        long) give up and tell the person."""
        now = time.monotonic()
        first = self._failing_since.setdefault(update.update_id, now)
        if now >= handling.give_up_at:
            logger.error(
                "update %r (%s) still failing after %.0f s (%r); given up and confirmed",
                update.update_id,
                update.event_type,
                now - first,
                error,
            )
            del self._failing_since[update.update_id]
            await self._tell_failed(update, handling)
            return "given up"
        if attempt >= len(self._retry_delays) or self._stopping.is_set():
            logger.warning(
                "update %r (%s) failed %d times (%r); left for the next poll",
                update.update_id,
                update.event_type,
                attempt + 1,
                error,
            )
            return "later"
        delay = self._retry_delays[attempt]
        if isinstance(error, TelegramRetryAfter):
            delay = max(delay, float(error.retry_after))
        logger.warning(
            "update %r (%s) failed (%r); try %d in %.1f s",
            update.update_id,
            update.event_type,
            error,
            attempt + 2,
            delay,
        )
        await self._sleep(delay)
        return "later" if self._stopping.is_set() else "retry"

    async def _tell_failed(self, update: Update, handling: _Handling) -> None:
        await tell_failed(self._bot, self._dispatcher, update, handling)


@contextlib.contextmanager
def handling_update(give_up_at: float = float("inf")) -> Iterator[_Handling]:
    """While an update is handled outside the poller (the webhook): what it committed and
    the language of its replies are noted on the object yielded."""
    handling = _Handling(give_up_at=give_up_at)
    token = _handling.set(handling)
    try:
        yield handling
    finally:
        _handling.reset(token)


async def tell_failed(
    bot: Bot, dispatcher: Dispatcher, update: Update, handling: _Handling
) -> None:
    """One short message to the person: whether anything was saved, try again. (A
    callback query was answered by the Dispatcher's middleware.)"""
    chat_id = chat_key(update)
    catalogs = dispatcher.workflow_data.get("catalogs")
    if chat_id is None or not isinstance(catalogs, Catalogs):
        return
    user = getattr(update.event, "from_user", None)
    locale = handling.locale or catalogs.locale_for(None, getattr(user, "language_code", None))
    t = catalogs.translator(locale)
    try:
        await bot.send_message(chat_id, failure_text(handling.committed, t))
    except Exception as error:  # noqa: BLE001 - the update is confirmed either way
        logger.warning("could not tell chat of update %r (%r)", update.update_id, error)
