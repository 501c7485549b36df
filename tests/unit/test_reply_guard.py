"""The ReplyGuard's bounds, with a fake transport: at most 3 tries, no wait past the budget,
403 never retried, and nothing retried outside the handling of an update (the sender)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage

from bot.telegram import ReplyGuard, replying

METHOD = SendMessage(chat_id=1, text="hi")


class Transport:
    """Fails with the given errors in turn, then succeeds; counts the calls."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self, bot: Bot, method: Any) -> Any:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "sent"


def flood(seconds: int) -> TelegramRetryAfter:
    return TelegramRetryAfter(METHOD, f"Too Many Requests: retry after {seconds}", seconds)


def down() -> TelegramServerError:
    return TelegramServerError(METHOD, "Bad Gateway")


async def call(guard: ReplyGuard, transport: Transport, *, reply: bool = True) -> Any:
    bot = Bot("123456:fake")
    try:
        if reply:
            with replying():
                return await guard(transport, bot, METHOD)  # type: ignore[arg-type]
        return await guard(transport, bot, METHOD)  # type: ignore[arg-type]
    finally:
        await bot.session.close()


def quick() -> ReplyGuard:
    return ReplyGuard(backoff=(0.0, 0.0), max_wait=1.0)


async def test_a_reply_is_tried_at_most_three_times() -> None:
    transport = Transport(down(), down(), down(), down())
    with pytest.raises(TelegramServerError):
        await call(quick(), transport)
    assert transport.calls == 3
    recovering = Transport(down(), down())
    assert await call(quick(), recovering) == "sent"
    assert recovering.calls == 3


async def test_a_retry_after_beyond_the_budget_is_not_waited() -> None:
    transport = Transport(flood(31))
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TelegramRetryAfter):
        await call(ReplyGuard(), transport)
    assert transport.calls == 1
    assert loop.time() - started < 1.0


async def test_403_is_never_retried() -> None:
    transport = Transport(TelegramForbiddenError(METHOD, "Forbidden: bot was blocked by the user"))
    with pytest.raises(TelegramForbiddenError):
        await call(quick(), transport)
    assert transport.calls == 1


async def test_outside_an_update_nothing_is_retried() -> None:
    """The outbox sender has its own pause after a 429: the guard must not wait as well."""
    transport = Transport(flood(1))
    with pytest.raises(TelegramRetryAfter):
        await call(quick(), transport, reply=False)
    assert transport.calls == 1
