"""Several streams read one after the other, the later ones started early.

A dry run of every rule reads each rule's statement in turn; while the first rule's
reminders are being worded, the database can already compute the next rule's. Each stream
started early holds only what it read before its first item (one batch of rows).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import TypeVar

T = TypeVar("T")

_END = object()


async def in_order_started_early(
    streams: Sequence[AsyncGenerator[T, None]], at_once: int
) -> AsyncIterator[T]:
    """Every item of the first stream, then of the second, and so on; up to `at_once`
    streams are at work together (1: strictly one after the other), each waiting at its
    first item for its turn. Leaving early closes every stream."""
    if at_once < 1:
        raise ValueError(f"at_once must be at least 1, not {at_once}")
    firsts: list[asyncio.Future[object]] = []

    def start_next() -> None:
        if len(firsts) < len(streams):
            firsts.append(asyncio.ensure_future(anext(streams[len(firsts)], _END)))

    try:
        for _ in range(at_once):
            start_next()
        for index, stream in enumerate(streams):
            item = await firsts[index]
            while item is not _END:
                yield item  # type: ignore[misc]  # not _END: an item of the stream
                item = await anext(stream, _END)
            start_next()
    finally:
        for started in firsts:
            started.cancel()
        await asyncio.gather(*firsts, return_exceptions=True)
        for stream in streams:
            await stream.aclose()
