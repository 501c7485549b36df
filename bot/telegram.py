"""The Bot client alone, without dispatcher or handlers: for commands that only call the API.

It is also the one place where replies meet Telegram's transient failures: `ReplyGuard`, a
request middleware on the Bot's session, retries a 429 (after Telegram's `retry_after`), a
network error or a 5xx a few times and briefly; does not send an edit that would change
nothing (a double tap) and takes Telegram's "message is not modified" as done; and sends at
most one answer per callback query. The retries apply only to
calls made while an update is handled (`replying`): the outbox sender (reminders/sender.py)
calls the same Bot from its own task, outside any update, and keeps its own policy (a global
pause after a 429, a backoff stored on the row, 403 marks the person unreachable), so its
waits are never doubled. A 403 is never retried: the person blocked the bot. What outlasts
these retries goes on to the poller (bot.polling), which may try the whole update again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    SendMessage,
)
from aiogram.methods.base import Response as ResponseModel
from aiogram.methods.base import TelegramType
from aiogram.types import InlineKeyboardMarkup, Message

from bot.settings import Settings

if TYPE_CHECKING:
    from aiogram.methods import Response, TelegramMethod

logger = logging.getLogger(__name__)

MAX_TRIES = 3
# Seconds of waiting, all retries of one call together; a longer retry_after is not waited.
MAX_WAIT = 30.0
NETWORK_BACKOFF = (0.5, 1.0)
REMEMBER_ANSWERS = 10_000
REMEMBER_MESSAGES = 10_000
_EDITS = (EditMessageText, EditMessageReplyMarkup, EditMessageCaption)
NOT_MODIFIED = "message is not modified"
QUERY_TOO_OLD = "query is too old"


_replying: ContextVar[bool] = ContextVar("cadrebot_replying", default=False)

# aiogram parses every answer as `Response[method.__returning__]`, a pydantic generic that
# pydantic caches only weakly: once the garbage collector took it (every few calls in a busy
# bot), the next call built it again, milliseconds each; profiled at a tenth of a logged
# visit's time. One model per result type, kept for the process.
_RESPONSE_MODELS: dict[object, object] = {}


def keep_response_model(returning: object) -> None:
    """Hold aiogram's parsed-answer model for this result type, so pydantic reuses it."""
    if returning not in _RESPONSE_MODELS:
        _RESPONSE_MODELS[returning] = cast("Any", ResponseModel)[returning]


@contextlib.contextmanager
def replying() -> Iterator[None]:
    """While an update is handled: its calls are replies, retried by the ReplyGuard."""
    token = _replying.set(True)
    try:
        yield
    finally:
        _replying.reset(token)


def guard_of(bot: Bot) -> ReplyGuard | None:
    """The Bot's ReplyGuard (None for a bare Bot, as aiogram's own tests build)."""
    for middleware in bot.session.middleware:
        if isinstance(middleware, ReplyGuard):
            return middleware
    return None


class ReplyGuard(BaseRequestMiddleware):
    """Bounded retries for replies; a double tap's unchanged edit and second answer are done.

    aiogram annotates the request chain as returning a Response, but it passes the method's
    result along (AiohttpSession.make_request returns `.result`): a result given without a
    request is cast to that annotation.
    """

    def __init__(
        self,
        tries: int = MAX_TRIES,
        max_wait: float = MAX_WAIT,
        backoff: tuple[float, ...] = NETWORK_BACKOFF,
        remember: int = REMEMBER_ANSWERS,
        remember_messages: int = REMEMBER_MESSAGES,
    ) -> None:
        self.tries = tries
        self.max_wait = max_wait
        self.backoff = backoff
        self.remember = remember
        # Callback queries answered lately, oldest first (Telegram forgets them in minutes).
        self._answered: OrderedDict[str, None] = OrderedDict()
        self.remember_messages = remember_messages
        # What recent replies show, by (chat, message): an edit to the same is not sent.
        self._shown: OrderedDict[tuple[int, int], str] = OrderedDict()

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        keep_response_model(method.__returning__)
        if isinstance(method, AnswerCallbackQuery):
            return await self._answer(make_request, bot, method)
        return await self._call(make_request, bot, method)

    def was_answered(self, callback_query_id: str) -> bool:
        return callback_query_id in self._answered

    async def _answer(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: AnswerCallbackQuery,
    ) -> Response[TelegramType]:
        """At most one answer per query; False when this one was not shown."""
        query_id = method.callback_query_id
        if query_id in self._answered:
            logger.debug("callback query %r already answered", query_id)
            return cast("Response[TelegramType]", False)
        try:
            result = await self._call(make_request, bot, method)
        except TelegramBadRequest as error:
            if QUERY_TOO_OLD not in error.message:
                raise
            # Answered by a lost earlier try, or too late to show: either way, done.
            result = cast("Response[TelegramType]", False)
        self._answered[query_id] = None
        while len(self._answered) > self.remember:
            self._answered.popitem(last=False)
        return result

    async def _call(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not _replying.get():  # not a reply: the sender and the poller have their own
            return await make_request(bot, method)
        shown = _shown_key(method)
        if shown is not None and self._shown.get(shown) == _content(method):
            # A double tap: the message already shows this, and Telegram would refuse it.
            return cast("Response[TelegramType]", True)
        try:
            result = await self._with_retries(make_request, bot, method)
        except TelegramBadRequest as error:
            if not (isinstance(method, _EDITS) and NOT_MODIFIED in error.message):
                raise
            result = cast("Response[TelegramType]", True)  # shown already (another process)
        self._remember(method, result)
        return result

    def _remember(self, method: TelegramMethod[TelegramType], result: object) -> None:
        """Keep what a sent or edited text message shows; forget a message changed otherwise."""
        if isinstance(method, SendMessage) and isinstance(result, Message):
            key: tuple[int, int] | None = (result.chat.id, result.message_id)
        else:
            key = _shown_key(method) or _changed_key(method)
        if key is None:
            return
        if isinstance(method, SendMessage | EditMessageText):
            self._shown[key] = _content(method)
            self._shown.move_to_end(key)
            while len(self._shown) > self.remember_messages:
                self._shown.popitem(last=False)
        else:
            self._shown.pop(key, None)

    async def _with_retries(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        waited = 0.0
        for attempt in range(1, self.tries + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                failure: Exception = error
                pause = float(error.retry_after)
            except (TelegramNetworkError, TelegramServerError) as error:
                failure = error
                pause = self.backoff[min(attempt, len(self.backoff)) - 1]
            if attempt == self.tries or waited + pause > self.max_wait:
                raise failure
            logger.warning(
                "%s failed (%r); try %d of %d in %.1f s",
                type(method).__name__,
                failure,
                attempt + 1,
                self.tries,
                pause,
            )
            await asyncio.sleep(pause)
            waited += pause
        raise AssertionError("unreachable")  # pragma: no cover


def _shown_key(method: object) -> tuple[int, int] | None:
    """(chat, message) of a text edit in a chat (not an inline message)."""
    if isinstance(method, EditMessageText):
        return _key(method.chat_id, method.message_id)
    return None


def _changed_key(method: object) -> tuple[int, int] | None:
    if isinstance(method, EditMessageReplyMarkup | EditMessageCaption | DeleteMessage):
        return _key(method.chat_id, method.message_id)
    return None


def _key(chat_id: object, message_id: object) -> tuple[int, int] | None:
    if isinstance(chat_id, int) and isinstance(message_id, int):
        return (chat_id, message_id)
    return None


def _content(method: SendMessage | EditMessageText | object) -> str:
    """Everything of a text message Telegram compares to decide "not modified"."""
    if not isinstance(method, SendMessage | EditMessageText):
        return ""
    markup = method.reply_markup
    keyboard = markup.model_dump_json() if isinstance(markup, InlineKeyboardMarkup) else None
    return repr((method.text, method.parse_mode, method.entities, keyboard))


def build_bot(settings: Settings, token: str | None = None) -> Bot:
    """A Bot talking HTTP to the configured Bot API server (public or self-hosted)."""
    secret = token or (settings.bot_token.get_secret_value() if settings.bot_token else None)
    if not secret:
        raise ValueError("BOT_TOKEN is not set")
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    session.middleware(ReplyGuard())
    return Bot(secret, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
