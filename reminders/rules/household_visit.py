"""Households not visited this quarter: each cadre, with a button per household."""

from __future__ import annotations

from collections.abc import AsyncIterator

from domain.periods import Quarter
from domain.reminders import HOUSEHOLD_VISIT
from reminders.rules.base import Batch, Firing, FirstOf, Reminder
from storage.reminder_owing import (
    cadres_with_unvisited,
    household_unvisited,
    owed_households_by_cadre,
)
from ui.views.reminders import BUTTONS, NAMES_LISTED, household_visit_reminder

# A reminder names the first NAMES_LISTED households and buttons the first BUTTONS.
HEAD = max(NAMES_LISTED, BUTTONS)


class HouseholdVisit:
    name = HOUSEHOLD_VISIT

    async def due(self, firing: Firing) -> AsyncIterator[Reminder]:
        """One statement, streamed: each reachable holder's unvisited households, counted
        and cut to the first few in the database."""
        quarter = Quarter.containing(firing.occurrence.day)
        owing = household_unvisited(quarter.first_day, quarter.last_day)
        async for owed in owed_households_by_cadre(firing.session, owing, HEAD):
            person = owed.recipient
            households = FirstOf(owed.first, owed.total)
            yield firing.reminder(
                person, household_visit_reminder(households, quarter, firing.t(person))
            )

    async def still_owed(self, batch: Batch) -> set[int]:
        quarters = {row.period: Quarter.parse(row.period) for row in batch.rows}
        cadres = {row.cadre_id for row in batch.rows}
        owing = await cadres_with_unvisited(batch.session, cadres, list(set(quarters.values())))
        return {row.id for row in batch.rows if (row.cadre_id, quarters[row.period]) in owing}
