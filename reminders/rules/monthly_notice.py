"""The supervisors' notice of the month just ended, each in their language."""

from __future__ import annotations

from collections.abc import AsyncIterator

from domain.periods import Month
from domain.reminders import MONTHLY_NOTICE
from domain.roles import Role, receives_notice
from reminders.rules.base import Batch, Firing, Reminder
from services.reports.notice import monthly_notice
from storage.reminders import reachable_cadres
from ui.view import View
from ui.views.reminders import monthly_notice_reminder


class MonthlyNotice:
    name = MONTHLY_NOTICE

    async def due(self, firing: Firing) -> AsyncIterator[Reminder]:
        """The workbook and chart follow on a tap: a push of files to every supervisor would
        be heavy on a poor signal. The notice is counted once per language."""
        month, context = Month.parse(firing.occurrence.period), firing.context
        views: dict[str, View] = {}
        readers = [role for role in Role if receives_notice(role)]
        for person in await reachable_cadres(firing.session, roles=readers):
            if not receives_notice(Role(person.role)):
                continue
            t = firing.t(person)
            if t.locale not in views:
                notice = await monthly_notice(
                    firing.session, month, firing.clock, context.tz, context.ledger_opens, t.locale
                )
                views[t.locale] = monthly_notice_reminder(notice, t)
            yield firing.reminder(person, views[t.locale])

    async def still_owed(self, batch: Batch) -> set[int]:
        """A notice is news, not a debt: always sent."""
        return {row.id for row in batch.rows}
