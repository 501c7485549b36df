"""The monthly progress report: the head of each unit with open milestones that has not
reported this month, on the month's last working day."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from domain.deadlines import LOOK_AHEAD, units_not_done
from domain.periods import Month
from domain.reminders import PROGRESS_REQUEST
from domain.roles import Role
from reminders.rules.base import Batch, Firing, Reminder
from services.reports.deadlines import milestones_with_progress
from storage.reminder_owing import units_reported
from storage.reminders import reachable_cadres
from ui.views.reminders import progress_request_reminder


async def open_milestones_by_unit(session: AsyncSession, day: date) -> Counter[int]:
    """unit id -> how many milestones still concern it and are not done: those due up to
    LOOK_AHEAD after `day` and every overdue one however old, as /progress offers them."""
    progress = await milestones_with_progress(session, None, day + LOOK_AHEAD, "zh")
    return Counter(
        unit.id
        for _row, facts, latest in progress.items
        for unit in units_not_done(facts.selectors, facts.closed, progress.units, latest)
    )


class ProgressRequest:
    name = PROGRESS_REQUEST

    async def due(self, firing: Firing) -> AsyncIterator[Reminder]:
        month = Month.containing(firing.occurrence.day)
        open_count = await open_milestones_by_unit(firing.session, firing.occurrence.day)
        reported = {unit for unit, _ in await units_reported(firing.session, [str(month)])}
        waiting = [unit for unit in open_count if unit not in reported]
        if not waiting:
            return
        for person in await reachable_cadres(firing.session, waiting, roles=[Role.UNIT_HEAD]):
            yield firing.reminder(
                person,
                progress_request_reminder(month, open_count[person.unit_id], firing.t(person)),
            )

    async def still_owed(self, batch: Batch) -> set[int]:
        """Still owed until the unit reports anything for the month."""
        reported = await units_reported(batch.session, {row.period for row in batch.rows})
        return {row.id for row in batch.rows if (batch.unit_of(row), row.period) not in reported}
