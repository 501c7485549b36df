"""The unit's monthly visit to its poor village: every cadre of a unit that has not been."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator

from domain.periods import Month
from domain.reminders import VILLAGE_VISIT
from reminders.rules.base import Batch, Firing, Reminder
from storage.reminder_owing import units_with_unvisited_village
from storage.reminders import reachable_cadres
from storage.village_visits import village_coverage_rows
from ui.views.reminders import village_visit_reminder


class VillageVisit:
    name = VILLAGE_VISIT

    async def due(self, firing: Firing) -> AsyncIterator[Reminder]:
        month = Month.containing(firing.occurrence.day)
        rows = await village_coverage_rows(firing.session, month.first_day, month.last_day)
        unit_names = {row.unit_id: row.unit_name for row in rows}
        owed: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for row in rows:
            if not row.covered:
                owed[row.unit_id].append((row.village_id, row.village_name))
        for person in await reachable_cadres(firing.session, list(owed)):
            yield firing.reminder(
                person,
                village_visit_reminder(
                    unit_names[person.unit_id], owed[person.unit_id], month, firing.t(person)
                ),
            )

    async def still_owed(self, batch: Batch) -> set[int]:
        months = {row.period: Month.parse(row.period) for row in batch.rows}
        units = {batch.unit_of(row) for row in batch.rows}
        owing = await units_with_unvisited_village(batch.session, units, list(set(months.values())))
        return {row.id for row in batch.rows if (batch.unit_of(row), months[row.period]) in owing}
