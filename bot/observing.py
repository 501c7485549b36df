"""Watching updates and Bot API calls: one summary log line per update, and the metrics.

- `UpdateMonitor`: the poller (bot.polling) and the webhook (bot.webhook) open a delivery
  for each update they are handed; on its end one INFO line says what became of it (outcome,
  handler, duration) and, with metrics on, the update is counted and timed.
- `HandlerMiddleware`: inside the dispatcher, notes which handler took the update, the
  sender's cadre code, and a rule's refusal.
- `ApiCallMiddleware`: a request middleware on a Bot's session, counting each call (each
  try: it sits inside the reply guard's retries) by method and result.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.dispatcher.event.bases import UNHANDLED as AIOGRAM_UNHANDLED
from aiogram.exceptions import (
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update

from bot.metrics import API_5XX, API_403, API_429, API_ERROR, API_NETWORK, API_OK, Metrics
from bot.update_context import (
    DUPLICATE,
    ERROR,
    OK,
    REFUSED,
    RETRY,
    UNHANDLED,
    UpdateContext,
    note_cadre,
    note_handler,
    note_outcome,
    update_context,
)
from domain.errors import DomainError

if TYPE_CHECKING:
    from aiogram.methods import Response, TelegramMethod

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

logger = logging.getLogger("bot.updates")


class UpdateMonitor:
    """One per bot (a county's, in a deployment of counties): its deliveries' log lines and
    metrics. Without `metrics` it still writes the summary lines."""

    def __init__(self, county: str = "", metrics: Metrics | None = None) -> None:
        self.county = county
        self.metrics = metrics
        if metrics is not None:
            metrics.county_updates(county)

    @contextlib.contextmanager
    def delivery(self, update: Update, chat_id: int | None) -> Iterator[UpdateContext]:
        """While one delivery of `update` is handled; the caller sets its `outcome` (an
        exception that escapes makes it an error)."""
        context = UpdateContext(update.update_id, update.event_type, chat_id, self.county)
        started = time.perf_counter()
        with update_context(context):
            try:
                yield context
            except Exception:
                context.outcome = ERROR
                raise
            except BaseException:  # cancelled by a stop: the update is delivered again
                context.outcome = context.outcome or RETRY
                raise
            finally:
                self._finish(context, time.perf_counter() - started)

    def duplicate(self, update: Update, chat_id: int | None) -> None:
        """A delivery of an update handled before: counted, nothing else happens."""
        with self.delivery(update, chat_id) as context:
            context.outcome = DUPLICATE

    def _finish(self, context: UpdateContext, seconds: float) -> None:
        outcome = context.outcome or ERROR
        duration_ms = round(seconds * 1000, 1)
        logger.info(
            "update %s (%s): %s by %s in %.0f ms",
            context.update_id,
            context.kind,
            outcome,
            context.handler or "-",
            duration_ms,
            extra={"duration_ms": duration_ms, "outcome": outcome},
        )
        if self.metrics is not None:
            self.metrics.count_update(self.county, context.kind, outcome, seconds)


def settle_handled(context: UpdateContext, result: object) -> None:
    """The dispatcher returned: ok, unless a rule refused or nothing handled it."""
    if result is AIOGRAM_UNHANDLED:
        context.outcome = UNHANDLED
    elif context.outcome != REFUSED:
        context.outcome = OK


def handler_name(data: dict[str, Any]) -> str | None:
    handler = data.get("handler")
    callback = getattr(handler, "callback", None)
    if callback is None:
        return None
    module = getattr(callback, "__module__", "") or ""
    name = getattr(callback, "__qualname__", None) or type(callback).__name__
    return f"{module.removeprefix('handlers.')}.{name}" if module else name


class HandlerMiddleware(BaseMiddleware):
    """Inside RefusalMiddleware: the handler chosen, the sender's cadre, a refusal seen on
    its way to the reply."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        name = handler_name(data)
        if name is not None:
            note_handler(name)
        actor = data.get("actor")
        code = getattr(actor, "code", None)
        if isinstance(code, str):
            note_cadre(code)
        try:
            return await handler(event, data)
        except DomainError:
            note_outcome(REFUSED)
            raise


def watch_handlers(dispatcher: Dispatcher) -> None:
    """HandlerMiddleware on every kind of event (after the middlewares already there)."""
    for name, observer in dispatcher.observers.items():
        if name not in ("update", "error"):
            observer.middleware(HandlerMiddleware())


def api_result(error: BaseException | None) -> str:
    if error is None:
        return API_OK
    if isinstance(error, TelegramRetryAfter):
        return API_429
    if isinstance(error, TelegramForbiddenError):
        return API_403
    if isinstance(error, TelegramServerError):
        return API_5XX
    if isinstance(error, TelegramNetworkError):
        return API_NETWORK
    return API_ERROR


class ApiCallMiddleware(BaseRequestMiddleware):
    """Counts each Bot API call by method and result."""

    def __init__(self, metrics: Metrics, county: str = "") -> None:
        self.metrics = metrics
        self.county = county
        metrics.county_sends(county)

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        name = method.__api_method__
        try:
            result = await make_request(bot, method)
        except Exception as error:
            self.metrics.count_api_call(self.county, name, api_result(error))
            raise
        self.metrics.count_api_call(self.county, name, API_OK)
        return result


def instrument_bot(bot: Bot, metrics: Metrics | None, county: str = "") -> None:
    """Count the bot's calls; registered after the reply guard, so each retry counts."""
    if metrics is not None:
        bot.session.middleware(ApiCallMiddleware(metrics, county))
