"""Households not visited this quarter: each cadre, with a button per household."""

from __future__ import annotations

from domain.periods import Quarter
from domain.reminders import HOUSEHOLD_VISIT
from reminders.rules.base import Batch, Firing, Reminder
from storage.reminder_owing import cadres_with_unvisited, unvisited_households
from storage.reminders import reachable_cadres
from ui.views.reminders import household_visit_reminder


class HouseholdVisit:
    name = HOUSEHOLD_VISIT

    async def due(self, firing: Firing) -> list[Reminder]:
        quarter = Quarter.containing(firing.occurrence.day)
        owed = await unvisited_households(firing.session, quarter.first_day, quarter.last_day)
        return [
            firing.reminder(
                person, household_visit_reminder(owed[person.cadre_id], quarter, firing.t(person))
            )
            for person in await reachable_cadres(firing.session, cadre_ids=list(owed))
        ]

    async def still_owed(self, batch: Batch) -> set[int]:
        quarters = {row.period: Quarter.parse(row.period) for row in batch.rows}
        cadres = {row.cadre_id for row in batch.rows}
        owing = await cadres_with_unvisited(batch.session, cadres, list(set(quarters.values())))
        return {row.id for row in batch.rows if (row.cadre_id, quarters[row.period]) in owing}
