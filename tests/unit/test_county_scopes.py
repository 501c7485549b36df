"""Chat locks of several bots: one bot's chat 42 is not another's; unscoped keys unchanged."""

from __future__ import annotations

import asyncio

import pytest

from bot.chat_locks import (
    _PG_LOCK_CLASS,
    LocalChatLocks,
    LockBusy,
    ScopedChatLocks,
    advisory_key,
)


async def test_a_chat_of_one_bot_does_not_wait_for_the_same_chat_of_another() -> None:
    locks = LocalChatLocks(wait=0.2)
    first, second = ScopedChatLocks(locks, 710001), ScopedChatLocks(locks, 720002)
    async with first.hold(42), second.hold(42):  # both at once: different chats
        pass
    entered = asyncio.Event()

    async def holder() -> None:
        async with first.hold(42):
            entered.set()
            await asyncio.sleep(0.5)

    task = asyncio.create_task(holder())
    await entered.wait()
    with pytest.raises(LockBusy):  # the same bot's chat: one holder at a time
        async with first.hold(42):
            pass
    await task
    await second.close()  # a view: the shared locks stay usable
    async with locks.hold(42):
        pass


def test_advisory_keys_are_per_bot_and_unscoped_ones_unchanged() -> None:
    assert advisory_key(42) == _PG_LOCK_CLASS ^ 42
    assert advisory_key(42, 710001) != advisory_key(42, 720002)
    assert advisory_key(42, 710001) == advisory_key(42, 710001)
    assert -(2**63) <= advisory_key(42, 710001) < 2**63
