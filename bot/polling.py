"""Long polling that confirms an update only after it was handled.

aiogram's own polling either handles updates one by one (safe, slow) or as fire-and-forget
tasks (fast, but Telegram forgets an update as soon as the next getUpdates asks for a higher
offset, so a crash loses whatever was still running). This loop takes a batch, handles it
with chats in parallel and each chat's updates in order, and only then asks for the next
batch: a crash means redelivery (which the database's unique keys make harmless), never loss.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections import defaultdict
from collections.abc import Sequence

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates
from aiogram.types import Update

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30.0


def chat_key(update: Update) -> int | None:
    """The chat whose updates must stay in order (None: no chat, order does not matter)."""
    event = update.event
    chat = getattr(event, "chat", None) or getattr(getattr(event, "message", None), "chat", None)
    if chat is not None:
        return int(chat.id)
    user = getattr(event, "from_user", None)
    return int(user.id) if user is not None else None


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
    ) -> None:
        self._bot = bot
        self._dispatcher = dispatcher
        self._timeout = timeout
        self._limit = limit
        self._parallel_chats = parallel_chats
        self._stopping = asyncio.Event()

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
                    await self.handle_batch(updates)
                    request.offset = updates[-1].update_id + 1
        finally:
            stopping.cancel()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def handle_batch(self, updates: Sequence[Update]) -> None:
        """Chats in parallel, each chat's updates in the order Telegram sent them."""
        by_chat: dict[int | None, list[Update]] = defaultdict(list)
        for update in updates:
            by_chat[chat_key(update)].append(update)
        lanes = [group for key, group in by_chat.items() if key is not None]
        lanes += [[update] for update in by_chat.get(None, [])]
        slots = asyncio.Semaphore(self._parallel_chats)
        await asyncio.gather(*(self._in_order(lane, slots) for lane in lanes))

    async def _in_order(self, updates: list[Update], slots: asyncio.Semaphore) -> None:
        async with slots:
            await self._feed_each(updates)

    async def _feed_each(self, updates: list[Update]) -> None:
        for update in updates:
            try:
                await self._dispatcher.feed_update(self._bot, update)
            except Exception:
                # A failing update must not block the ones after it; it is logged, not retried.
                logger.exception("update %r failed", update.update_id)
