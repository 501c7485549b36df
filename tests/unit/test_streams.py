"""Streams read in order, the later ones started early, every one closed when left early."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import pytest

from reminders.streams import in_order_started_early


class Log:
    def __init__(self) -> None:
        self.events: list[str] = []

    async def stream(
        self, name: str, items: int, wait_for: asyncio.Event | None = None
    ) -> AsyncGenerator[str, None]:
        self.events.append(f"{name} started")
        try:
            if wait_for is not None:
                await wait_for.wait()
            for index in range(items):
                yield f"{name}{index}"
                await asyncio.sleep(0)
        finally:
            self.events.append(f"{name} closed")


async def test_items_come_stream_by_stream_in_order() -> None:
    log = Log()
    streams = [log.stream("a", 3), log.stream("b", 0), log.stream("c", 2)]
    items = [item async for item in in_order_started_early(streams, at_once=3)]
    assert items == ["a0", "a1", "a2", "c0", "c1"]
    assert sorted(event for event in log.events if event.endswith("closed")) == [
        "a closed",
        "b closed",
        "c closed",
    ]


async def test_later_streams_start_before_their_turn() -> None:
    """The first stream waits for the second to have started: with both at work at once
    that happens; one after the other it never would (the wait times out)."""
    log = Log()
    second_started = asyncio.Event()

    async def second() -> AsyncGenerator[str, None]:
        second_started.set()
        async for item in log.stream("b", 1):
            yield item

    streams = [log.stream("a", 2, wait_for=second_started), second()]
    async with asyncio.timeout(5):
        items = [item async for item in in_order_started_early(streams, at_once=2)]
    assert items == ["a0", "a1", "b0"]


async def test_one_at_a_time_starts_the_next_only_when_the_last_ended() -> None:
    log = Log()
    streams = [log.stream("a", 2), log.stream("b", 1)]
    items = [item async for item in in_order_started_early(streams, at_once=1)]
    assert items == ["a0", "a1", "b0"]
    assert log.events == ["a started", "a closed", "b started", "b closed"]


async def test_leaving_early_closes_every_stream_started_or_not() -> None:
    log = Log()
    streams = [log.stream("a", 5), log.stream("b", 5), log.stream("c", 5)]
    async with asyncio.timeout(5):
        reading = in_order_started_early(streams, at_once=2)
        assert await anext(reading) == "a0"
        await reading.aclose()
    assert "a closed" in log.events and "b closed" in log.events
    assert "c started" not in log.events  # never started; closed all the same
    with pytest.raises(StopAsyncIteration):
        await anext(streams[2])


async def test_a_failing_later_stream_fails_the_reading_at_its_turn() -> None:
    log = Log()

    async def broken() -> AsyncGenerator[str, None]:
        raise RuntimeError("the database went away")
        yield "never"

    streams = [log.stream("a", 2), broken()]
    got: list[str] = []
    with pytest.raises(RuntimeError, match="went away"):
        async for item in in_order_started_early(streams, at_once=2):
            got.append(item)
    assert got == ["a0", "a1"]
    assert "a closed" in log.events


async def test_at_once_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        await anext(in_order_started_early([], at_once=0))
