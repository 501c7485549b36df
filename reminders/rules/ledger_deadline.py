"""Ledgers due by the November deadline: each holder of an incomplete one, in the season.

Completeness is decided in the database (storage.reminder_owing.ledger_incomplete, the
domain rule written as SQL), so a run reads one row per owed household named, never the
county's members and reviews.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import date

from domain.ledgers import season_start
from domain.reminders import LEDGER_DEADLINE
from domain.status import LedgerSeason, ledger_season
from reminders.rules.base import Batch, Firing, FirstOf, Reminder
from storage.models import OutboxMessage, Pairing
from storage.reminder_owing import (
    cadres_with_incomplete_ledgers,
    ledger_incomplete,
    owed_households_by_cadre,
)
from ui.views.reminders import BUTTONS, NAMES_LISTED, ledger_deadline_reminder

HEAD = max(NAMES_LISTED, BUTTONS)


class LedgerDeadline:
    name = LEDGER_DEADLINE

    async def due(self, firing: Firing) -> AsyncIterator[Reminder]:
        day, context = firing.occurrence.day, firing.context
        season = ledger_season(day, context.ledger_opens)
        if not season.opens <= day <= season.deadline:
            return
        opens_at = season_start(season.opens, context.tz)
        owing = ledger_incomplete(Pairing.household_id, season.year, opens_at)
        key = (str(season.year), firing.occurrence.occurrence)
        async for owed in owed_households_by_cadre(firing.session, owing, HEAD):
            person = owed.recipient
            households = FirstOf(owed.first, owed.total)
            view = ledger_deadline_reminder(households, season.deadline, firing.t(person))
            yield firing.reminder(person, view, key)

    async def still_owed(self, batch: Batch) -> set[int]:
        """One query per season, for the batch's cadres only; the rows of a batch all
        belong to one."""
        by_season: dict[LedgerSeason, list[OutboxMessage]] = defaultdict(list)
        for row in batch.rows:
            day = date.fromisoformat(row.occurrence)
            by_season[ledger_season(day, batch.context.ledger_opens)].append(row)
        owed: set[int] = set()
        for season, rows in by_season.items():
            opens_at = season_start(season.opens, batch.context.tz)
            cadres = {row.cadre_id for row in rows}
            owing = await cadres_with_incomplete_ledgers(
                batch.session, cadres, season.year, opens_at
            )
            owed |= {row.id for row in rows if row.cadre_id in owing}
        return owed
