"""Which Telegram updates a webhook replica took, so a redelivered or doubly delivered update
changes nothing: claimed at the start, done or failed at the end (see bot.webhook).

Each function is one short transaction of its own, apart from the handler's session: a
claim must be visible to the other replicas at once, before the handler runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate

CLAIMED, RETRY, DONE, FAILED = "claimed", "retry", "done", "failed"
Claim = Literal["claimed", "finished", "busy"]


async def claim_update(
    session: AsyncSession,
    update_id: int,
    chat_id: int | None,
    now: datetime,
    stale_before: datetime,
) -> Claim:
    """Take the update: "claimed" (new, left to retry, or a claim older than `stale_before`,
    whose holder died), "finished" (done or failed already: answer and do nothing) or
    "busy" (another replica holds a fresh claim: Telegram should ask again later)."""
    async with session.begin():
        connection = await session.connection()
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        inserted = await session.execute(
            insert(ProcessedUpdate)
            .values(update_id=update_id, chat_id=chat_id, outcome=CLAIMED, attempts=0)
            .values(claimed_at=now)
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(ProcessedUpdate.update_id)
        )
        if inserted.scalar_one_or_none() is not None:
            return "claimed"
        # Compare and set: of two replicas taking over the same row, one updates it.
        taken = await session.execute(
            update(ProcessedUpdate)
            .where(
                ProcessedUpdate.update_id == update_id,
                (ProcessedUpdate.outcome == RETRY)
                | (
                    (ProcessedUpdate.outcome == CLAIMED)
                    & (ProcessedUpdate.claimed_at < stale_before)
                ),
            )
            .values(outcome=CLAIMED, claimed_at=now)
            .returning(ProcessedUpdate.update_id)
        )
        if taken.scalar_one_or_none() is not None:
            return "claimed"
        outcome = (
            await session.execute(
                select(ProcessedUpdate.outcome).where(ProcessedUpdate.update_id == update_id)
            )
        ).scalar_one_or_none()
    return "finished" if outcome in (DONE, FAILED) else "busy"


async def earlier_unfinished(
    session: AsyncSession, chat_id: int, update_id: int, fresh_after: datetime
) -> bool:
    """Whether an earlier update of the chat arrived and is not finished (claimed by a live
    replica or left to retry): this one must wait for it, the chat's order is Telegram's."""
    async with session.begin():
        found = await session.execute(
            select(
                exists().where(
                    ProcessedUpdate.chat_id == chat_id,
                    ProcessedUpdate.update_id < update_id,
                    ProcessedUpdate.outcome.in_((CLAIMED, RETRY)),
                    ProcessedUpdate.claimed_at > fresh_after,
                )
            )
        )
        return bool(found.scalar_one())


async def finish_update(
    session: AsyncSession, update_id: int, outcome: Literal["done", "failed"], now: datetime
) -> None:
    """Handled (or failed for good, the person told): a redelivery is answered, not handled."""
    async with session.begin():
        await session.execute(
            update(ProcessedUpdate)
            .where(ProcessedUpdate.update_id == update_id)
            .values(outcome=outcome, handled_at=now)
        )


async def release_update(session: AsyncSession, update_id: int, *, attempted: bool) -> int:
    """Leave the update to a later delivery (any replica may take it); `attempted`: a try
    failed, counted. Returns the tries so far."""
    async with session.begin():
        result = await session.execute(
            update(ProcessedUpdate)
            .where(ProcessedUpdate.update_id == update_id)
            .values(outcome=RETRY, attempts=ProcessedUpdate.attempts + (1 if attempted else 0))
            .returning(ProcessedUpdate.attempts)
        )
        return int(result.scalar_one_or_none() or 0)


async def purge_processed(session: AsyncSession, before: datetime) -> int:
    """Forget updates claimed before `before` (Telegram redelivers for a day at most);
    returns how many."""
    async with session.begin():
        result = await session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.claimed_at < before)
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def count_processed_before(session: AsyncSession, before: datetime) -> int:
    """How many updates were claimed before `before` (what `purge_processed` would forget)."""
    async with session.begin():
        found = await session.execute(
            select(func.count()).where(ProcessedUpdate.claimed_at < before)
        )
        return int(found.scalar_one())
