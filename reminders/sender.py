"""The outbox sender: delivers pending reminders and case notifications within Telegram's
limits, each once.

Case notifications (rule `case_event`) tell of something a person just did, and a child's
schooling waits on them: they are always still owed, and during quiet hours they go out at
once but silently (no sound), while reminders are held until the quiet hours end.

Crash safety: a row is claimed ('sending') in one transaction, sent, and marked 'sent' in
the next. While a batch is out, its sender renews the claim time of the rows it still holds
every `HEARTBEAT`. A sender stopped on purpose (or that lost the lease) finishes the sends in
flight (they are shielded from cancellation) and puts the rest of its batch back to pending.
A process killed mid-batch leaves its rows 'sending' with a claim time that no longer moves:
any sender, every `RELEASE_EVERY`, puts rows claimed more than `STUCK_AFTER` ago back to
pending, so the ones in flight at the kill may arrive twice; nothing is ever lost. At most
one message per chat is in flight at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock
from domain.reminders import CASE_EVENT, QuietHours
from reminders.rules import RuleContext, still_owed_many
from storage.models import OutboxMessage
from storage.reminders import (
    Recipient,
    claim_due,
    finish,
    finish_many,
    mark_sent,
    mark_unreachable,
    recipients,
    release,
    release_stuck,
    renew_claims,
    retry_later,
)

logger = logging.getLogger(__name__)

# A live sender renews its claims every HEARTBEAT, so a claim older than STUCK_AFTER (three
# heartbeats missed) is a dead sender's; every RELEASE_EVERY such rows go back to pending.
# With the scheduler lease (30 s, renewed every 10 s) a crashed process's reminders are out
# again within 60 s.
HEARTBEAT = timedelta(seconds=10)
STUCK_AFTER = timedelta(seconds=30)
RELEASE_EVERY = timedelta(seconds=10)
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(minutes=10)
# Rows that answer a person's action: never held by quiet hours, never dropped as no longer owed.
EVENT_RULES = (CASE_EVENT,)


@dataclass
class RateLimiter:
    """Evenly spaced slots: `rate` per second overall (None: no limit)."""

    rate: float | None
    _next: float = 0.0

    async def wait(self) -> None:
        if not self.rate:
            return
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + 1.0 / self.rate
        if slot > now:
            await asyncio.sleep(slot - now)


@dataclass
class SenderSettings:
    rate: float | None = 25.0  # messages per second, all chats together
    per_chat_interval: float = 1.0  # seconds between two messages to one chat
    quiet: QuietHours | None = field(default_factory=QuietHours)
    batch: int = 500
    idle_poll: float = 1.0  # seconds between looks at an empty outbox
    # After a failed batch (the database locked or restarting, say), wait this long.
    error_pause: float = 5.0
    heartbeat: float = HEARTBEAT.total_seconds()  # seconds between renewals of a batch's claims


def keyboard_json(buttons_json: str) -> str | None:
    """The outbox's buttons as the Bot API's `reply_markup` JSON, written once here.

    Each item is a row: a [label, data] pair alone, or a list of such pairs. The text goes
    to Telegram as is: building aiogram's keyboard models only for aiogram to dump them to
    this same JSON again was a fifth of the sender's time per message."""
    items = json.loads(buttons_json or "[]")
    if not items:
        return None
    rows = [[item] if isinstance(item[0], str) else item for item in items]
    keyboard = [[{"text": label, "callback_data": data} for label, data in row] for row in rows]
    return json.dumps({"inline_keyboard": keyboard}, ensure_ascii=False, separators=(",", ":"))


# Copied with the fields of each message: a copy is ~3 us, building the model ~16 us (and
# model_construct, which fills every default anew, ~54 us).
_SEND_MESSAGE = SendMessage(chat_id=0, text="-")


def send_request(chat_id: int, text: str, buttons_json: str, silent: bool) -> SendMessage:
    """sendMessage with the keyboard already JSON (see keyboard_json); chat, text and labels
    were checked when the reminder was queued, so aiogram's model is not validated again."""
    return _SEND_MESSAGE.model_copy(
        update={
            "chat_id": chat_id,
            "text": text,
            "reply_markup": keyboard_json(buttons_json),
            "disable_notification": True if silent else None,
        }
    )


class SentMarks:
    """Group commit of 'sent' marks: every send waits for its own mark to be committed, and
    the marks of all sends that finished meanwhile go into one UPDATE. A send and its mark
    stay one unit (a crash between them means the row is sent again), while the database
    does one transaction per wave of sends instead of one per message."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self._waiting: dict[int, asyncio.Future[None]] = {}
        self._writer: asyncio.Task[None] | None = None

    async def mark_sent(self, row_id: int) -> None:
        done = asyncio.get_running_loop().create_future()
        self._waiting[row_id] = done
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await done

    async def _write(self) -> None:
        while self._waiting:
            await asyncio.sleep(0)  # let the sends finishing right now join this wave
            wave, self._waiting = self._waiting, {}
            try:
                async with self.sessionmaker() as session, session.begin():
                    await mark_sent(session, list(wave), self.clock.now())
            except Exception as error:  # noqa: BLE001 - each waiting send gets the error
                for future in wave.values():
                    future.set_exception(error)
            else:
                for future in wave.values():
                    future.set_result(None)


class Sender:
    """One delivery loop; `stop()` lets in-flight sends finish and returns."""

    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        context: RuleContext,
        settings: SenderSettings | None = None,
        gate: Callable[[], bool] | None = None,
    ) -> None:
        self.bot = bot
        # When given, the sender works only while it answers True (the process holds the
        # scheduler lease): one sender at a time across processes.
        self._gate = gate
        self._next_release: datetime | None = None
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.context = context
        self.settings = settings or SenderSettings()
        self._limiter = RateLimiter(self.settings.rate)
        self._paused_until = 0.0  # monotonic time after a 429
        self._last_to_chat: dict[int, float] = {}
        self._stopping = asyncio.Event()
        self._marks = SentMarks(sessionmaker, clock)
        self.sent = 0

    def stop(self) -> None:
        self._stopping.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _may_send(self) -> bool:
        return not self._stopping.is_set() and (self._gate is None or self._gate())

    async def _release_stuck(self) -> None:
        """Every RELEASE_EVERY while this sender works: rows a dead sender left 'sending'."""
        now = self.clock.now()
        if self._next_release is not None and now < self._next_release:
            return
        async with self.sessionmaker() as session, session.begin():
            released = await release_stuck(session, now - STUCK_AFTER)
        self._next_release = now + RELEASE_EVERY
        if released:
            logger.warning("%d reminders were left mid-send by a dead sender; retrying", released)

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                delivered = await self.run_once()
            except Exception:  # noqa: BLE001 - a database hiccup must not end delivery for good
                # Rows of a failed batch that were claimed but not marked stay 'sending'; they
                # look stuck after STUCK_AFTER and go back to pending (module docstring).
                pause = self.settings.error_pause
                logger.exception("reminder batch failed; trying again in %s s", pause)
                await self._sleep(pause)
                continue
            if not delivered:
                await self._sleep(self.settings.idle_poll)

    def _quiet(self) -> bool:
        quiet = self.settings.quiet
        if quiet is None:
            return False
        now = self.clock.now()
        return quiet.next_allowed(now, self.context.tz) > now

    async def _owed(
        self, session: AsyncSession, rows: list[OutboxMessage], people: dict[int, Recipient]
    ) -> set[int]:
        """Rows to send: case notifications to reachable people, reminders still owed."""
        events = {r.id for r in rows if r.rule in EVENT_RULES and r.cadre_id in people}
        reminders = [r for r in rows if r.rule not in EVENT_RULES]
        if not reminders:
            return events
        return events | await still_owed_many(session, reminders, people, self.context, self.clock)

    async def run_once(self) -> int:
        """Claim one batch and deliver it; returns how many rows were handled."""
        if self._gate is not None and not self._gate():
            return 0  # another process holds the lease and sends
        await self._release_stuck()
        # In quiet hours reminders stay pending until the morning; case notifications go.
        silent = self._quiet()
        async with self.sessionmaker() as session, session.begin():
            rows = await claim_due(
                session,
                self.clock.now(),
                self.settings.batch,
                only_rules=EVENT_RULES if silent else None,
            )
            if not rows:
                return 0
            # Just before sending: is the person reachable, and is the reason still there?
            people = await recipients(session, sorted({r.cadre_id for r in rows}))
            owed = await self._owed(session, rows, people)
            await finish_many(
                session, [r.id for r in rows if r.cadre_id not in people], "unreachable"
            )
            await finish_many(
                session,
                [r.id for r in rows if r.cadre_id in people and r.id not in owed],
                "dropped",
            )
        by_chat: dict[int, list[OutboxMessage]] = {}
        for row in rows:
            if row.id in owed:
                by_chat.setdefault(row.chat_id, []).append(row)
        unsent = {row.id for chat_rows in by_chat.values() for row in chat_rows}
        heartbeat = asyncio.create_task(self._renew_claims(sorted(unsent)))
        try:
            # Every chat's deliveries finish (with their marks) before a failure is raised,
            # so a failed batch never overlaps the next one.
            outcomes = await asyncio.gather(
                *(self._deliver_chat(chat_rows, silent, unsent) for chat_rows in by_chat.values()),
                return_exceptions=True,
            )
        finally:
            heartbeat.cancel()
        if unsent:  # stopped, or the lease went elsewhere: the rest of the batch waits
            async with self.sessionmaker() as session, session.begin():
                await release(session, sorted(unsent))
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return len(rows)

    async def _renew_claims(self, row_ids: list[int]) -> None:
        """The batch's heartbeat: its rows still 'sending' (queued or in flight) keep a
        fresh claim time until the batch ends (this task is cancelled then)."""
        while True:
            await asyncio.sleep(self.settings.heartbeat)
            try:
                async with self.sessionmaker() as session, session.begin():
                    await renew_claims(session, row_ids, self.clock.now())
            except Exception as error:  # noqa: BLE001 - the next heartbeat tries again
                logger.warning("could not renew %d reminder claims (%r)", len(row_ids), error)

    async def _deliver_chat(
        self, rows: Iterable[OutboxMessage], silent: bool, unsent: set[int]
    ) -> None:
        """One chat's rows in order; each leaves `unsent` as its send starts."""
        for row in rows:
            if not self._may_send():
                return
            unsent.discard(row.id)
            # Shielded: a stop or cancel lets the send and its mark finish together.
            await asyncio.shield(self._deliver(row, silent))

    async def _wait_turn(self, chat_id: int) -> None:
        while True:
            now = time.monotonic()
            wait = max(
                self._paused_until - now,
                self._last_to_chat.get(chat_id, -1e9) + self.settings.per_chat_interval - now,
            )
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        await self._limiter.wait()
        self._last_to_chat[chat_id] = time.monotonic()

    async def _deliver(self, row: OutboxMessage, silent: bool) -> None:
        while True:
            await self._wait_turn(row.chat_id)
            try:
                await self.bot(send_request(row.chat_id, row.text, row.buttons, silent))
            except TelegramRetryAfter as error:
                # Telegram's own number: everyone waits, then this message is tried again.
                self._paused_until = time.monotonic() + error.retry_after
                logger.warning("429: pausing %s s", error.retry_after)
                continue
            except TelegramForbiddenError:
                async with self.sessionmaker() as session, session.begin():
                    await mark_unreachable(session, row.cadre_id, self.clock.now())
                    await finish(session, row.id, "unreachable", self.clock.now(), "403")
                return
            except (TelegramServerError, TelegramNetworkError) as error:
                await self._retry(row, str(error))
                return
            except TelegramAPIError as error:  # 400 and the like: retrying will not help
                async with self.sessionmaker() as session, session.begin():
                    await finish(session, row.id, "failed", self.clock.now(), str(error)[:500])
                return
            break
        await self._marks.mark_sent(row.id)
        self.sent += 1

    async def _retry(self, row: OutboxMessage, error: str) -> None:
        attempts = row.attempts + 1
        async with self.sessionmaker() as session, session.begin():
            if attempts >= MAX_ATTEMPTS:
                await finish(session, row.id, "failed", self.clock.now(), error[:500])
                return
            backoff = min(timedelta(seconds=2**attempts), MAX_BACKOFF)
            await retry_later(session, row.id, self.clock.now() + backoff, error[:500])
