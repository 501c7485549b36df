"""Ledgers due by the November deadline: each holder of an incomplete one, in the season."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from domain.reminders import LEDGER_DEADLINE
from domain.status import LedgerSeason, ledger_season
from reminders.rules.base import Batch, Firing, Reminder
from services.reports.ledgers import incomplete_ledgers_by_cadre
from storage.models import OutboxMessage
from storage.reminders import reachable_cadres
from ui.views.reminders import ledger_deadline_reminder


class LedgerDeadline:
    name = LEDGER_DEADLINE

    async def due(self, firing: Firing) -> list[Reminder]:
        day, context = firing.occurrence.day, firing.context
        season = ledger_season(day, context.ledger_opens)
        if not season.opens <= day <= season.deadline:
            return []
        incomplete = await incomplete_ledgers_by_cadre(
            firing.session, season.year, season.opens, tz=context.tz
        )
        reminders = []
        for person in await reachable_cadres(firing.session, cadre_ids=list(incomplete)):
            owed = [(i.household_id, i.code, i.head_name) for i in incomplete[person.cadre_id]]
            view = ledger_deadline_reminder(owed, season.deadline, firing.t(person))
            key = (str(season.year), firing.occurrence.occurrence)
            reminders.append(firing.reminder(person, view, key))
        return reminders

    async def still_owed(self, batch: Batch) -> set[int]:
        """Three queries per season; the rows of a batch all belong to one."""
        by_season: dict[LedgerSeason, list[OutboxMessage]] = defaultdict(list)
        for row in batch.rows:
            day = date.fromisoformat(row.occurrence)
            by_season[ledger_season(day, batch.context.ledger_opens)].append(row)
        owed: set[int] = set()
        for season, rows in by_season.items():
            incomplete = await incomplete_ledgers_by_cadre(
                batch.session, season.year, season.opens, tz=batch.context.tz
            )
            owed |= {row.id for row in rows if row.cadre_id in incomplete}
        return owed
