"""Notifications of what a person did (a dropout case moved): outbox rows, once per key.

They share the reminders' outbox and sender, so one place keeps Telegram's limits, retries
and who blocked the bot; their key is (cadre, rule, case, event[.part]).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.reminders import enqueue

ButtonRow = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Notification:
    """One message as the outbox keeps it: HTML text and rows of (label, callback data)."""

    text: str
    rows: tuple[ButtonRow, ...] = ()

    def buttons_json(self) -> str:
        """Rows of [label, data] pairs (the sender also reads the older one-pair-a-row form)."""
        return json.dumps([[list(pair) for pair in row] for row in self.rows], ensure_ascii=False)


@dataclass(frozen=True)
class Addressee:
    """Who is told, and where: a cadre's Telegram chat."""

    cadre_id: int
    chat_id: int


def part_key(occurrence: str, index: int) -> str:
    """The first part keeps the occurrence; a long text's later parts add their index."""
    return occurrence if index == 0 else f"{occurrence}.{index}"


async def enqueue_notifications(
    session: AsyncSession,
    to: Addressee,
    key: tuple[str, str, str],
    parts: Sequence[Notification],
    now: datetime,
) -> int:
    """Write the parts as pending rows in the caller's transaction; returns how many are new.

    `key` is (rule, period, occurrence): a retried or redelivered write adds nothing.
    """
    rule, period, occurrence = key
    inserted = 0
    for index, part in enumerate(parts):
        values: dict[str, object] = {
            "cadre_id": to.cadre_id,
            "chat_id": to.chat_id,
            "rule": rule,
            "period": period,
            "occurrence": part_key(occurrence, index),
            "text": part.text,
            "buttons": part.buttons_json(),
            "state": "pending",
            "attempts": 0,
            "not_before": now,
            "created_at": now,
        }
        inserted += await enqueue(session, values)
    return inserted
