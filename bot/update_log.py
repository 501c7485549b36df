"""The webhook's update log (`processed_updates`) forgotten past its retention
(CADREBOT_UPDATE_LOG_RETENTION_DAYS): once when a replica starts, then every hour while it
serves, so a replica that runs for months does not keep every update it ever took.

Every replica does it; two at once delete the same rows once (one DELETE on an indexed
column each). A purge that fails (the database away) is logged and tried at the next turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.retention import Retention
from services.retention import purge_update_log

logger = logging.getLogger(__name__)

PURGE_EVERY = 3600.0


def wall_clock() -> datetime:
    """Claims age in real time, whatever clock the plan's dates use."""
    return datetime.now(UTC)


class UpdateLogPurge:
    """Forgets the update records of these databases (a county's each) past retention."""

    def __init__(
        self,
        sessionmakers: Sequence[async_sessionmaker[AsyncSession]],
        retention: Retention,
        every: float = PURGE_EVERY,
        now: Callable[[], datetime] = wall_clock,
    ) -> None:
        self.sessionmakers = list(sessionmakers)
        self.retention = retention
        self.every = every
        self.now = now

    async def once(self) -> int:
        """One purge of every database; how many records went."""
        before = self.retention.update_log_before(self.now())
        purged = 0
        for sessionmaker in self.sessionmakers:
            async with sessionmaker() as session:
                purged += await purge_update_log(session, before, dry_run=False)
        if purged:
            logger.info("purged %d processed updates claimed before %s", purged, before.isoformat())
        return purged

    async def run_until(self, stop: asyncio.Event) -> None:
        """Every `every` seconds until `stop`; a failed purge waits for the next turn."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.every)
                return
            try:
                await self.once()
            except Exception as error:  # noqa: BLE001 - the database away: the next turn
                logger.warning("processed updates not purged: %r", error)
