"""Per-update and per-send costs that must not come back (issue 12, throughput): no thread
hop for a router-wide filter, aiogram's answer models built once."""

from __future__ import annotations

import gc
import weakref

from aiogram.methods import SendMessage
from aiogram.methods.base import Response
from aiogram.types import Message

from bot.telegram import _RESPONSE_MODELS, ReplyGuard
from handlers import build_root_router
from handlers.flow import WITH_ARGUMENTS


def test_router_wide_filters_run_on_the_event_loop() -> None:
    """aiogram sends a plain (magic) filter to a worker thread; every update meets these."""
    root = build_root_router()
    observers = (root.message, root.callback_query)
    assert all(f.awaitable for observer in observers for f in observer._handler.filters or [])
    one_line = [
        handler
        for router in root.chain_tail
        for handler in router.message.handlers
        if any(f.callback is WITH_ARGUMENTS for f in handler.filters or [])
    ]
    assert one_line  # /visit and /village
    assert all(f.awaitable for handler in one_line for f in handler.filters or [])


async def test_answer_model_is_built_once_per_result_type() -> None:
    """pydantic caches `Response[Message]` weakly: once the garbage collector took it (in a
    busy bot, every few calls), aiogram's next call built it again (milliseconds)."""

    async def transport(bot: object, method: object) -> str:
        return "sent"

    await ReplyGuard()(transport, None, SendMessage(chat_id=1, text="hi"))  # type: ignore[arg-type]
    model = weakref.ref(Response[Message])
    gc.collect()
    assert model() is not None  # still there for the next call
    assert _RESPONSE_MODELS[Message] is model()  # held by us, not only pydantic's weak cache
