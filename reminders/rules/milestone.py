"""Milestones near their due dates: the responsible units not done, their heads first."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.deadlines import units_not_done
from domain.reminders import MILESTONE, milestone_occurrence, milestone_of
from domain.roles import Role
from reminders.rules.base import Batch, Firing, Reminder
from services.reports.deadlines import milestones_with_progress
from storage.reminder_owing import milestone_due_dates
from storage.reminders import Recipient, reachable_cadres
from ui.views.reminders import milestone_reminder


@dataclass(frozen=True)
class Behind:
    """A milestone due in the window and the ids of its responsible units not done."""

    milestone_id: int
    due: date
    title_zh: str
    title_en: str
    unit_ids: tuple[int, ...]


async def units_behind(session: AsyncSession, first: date, last: date) -> list[Behind]:
    """Milestones due in [first, last] with their responsible units not done: three queries."""
    progress = await milestones_with_progress(session, first, last, "zh")
    return [
        Behind(
            row.id,
            row.due_date,
            row.title_zh,
            row.title_en,
            tuple(
                u.id for u in units_not_done(row.responsible, facts.closed, progress.units, latest)
            ),
        )
        for row, facts, latest in progress.items
    ]


def heads_first(people: list[Recipient]) -> list[Recipient]:
    """A unit's head gets the unit's reminders; a unit without a registered head, everyone."""
    heads = [p for p in people if p.role == Role.UNIT_HEAD]
    return heads or people


class Milestone:
    name = MILESTONE

    async def due(self, firing: Firing) -> AsyncIterator[Reminder]:
        day, offsets = firing.occurrence.day, set(firing.spec.days_left)
        first = day - timedelta(days=max(0, -min(offsets)))
        last = day + timedelta(days=max(offsets))
        found = [
            (behind, (behind.due - day).days)
            for behind in await units_behind(firing.session, first, last)
            if (behind.due - day).days in offsets
        ]
        units = sorted({unit_id for behind, _ in found for unit_id in behind.unit_ids})
        by_unit: dict[int, list[Recipient]] = defaultdict(list)
        if units:  # the people of the units behind only, never every cadre
            for person in await reachable_cadres(firing.session, unit_ids=units):
                by_unit[person.unit_id].append(person)
        for behind, days_left in found:
            key = milestone_occurrence(behind.milestone_id, days_left)
            for unit_id in behind.unit_ids:
                for person in heads_first(by_unit.get(unit_id, [])):
                    t = firing.t(person)
                    title = behind.title_en if t.locale == "en" else behind.title_zh
                    view = milestone_reminder(title, behind.due, days_left, t)
                    yield firing.reminder(person, view, key)

    async def still_owed(self, batch: Batch) -> set[int]:
        """Still owed while the person's unit has not reported the milestone done."""
        ids = {m for row in batch.rows if (m := milestone_of(row.period)) is not None}
        due = await milestone_due_dates(batch.session, ids)
        if not due:
            return set()
        behind = await units_behind(batch.session, min(due.values()), max(due.values()))
        owing = {(b.milestone_id, unit_id) for b in behind for unit_id in b.unit_ids}
        return {
            row.id for row in batch.rows if (milestone_of(row.period), batch.unit_of(row)) in owing
        }
