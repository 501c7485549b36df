"""Dropout cases past a due time: the school's people at once, supervisors once it has been
late for `escalate_after_days` (or when the case has no school)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.dropouts import CaseTimes, days_overdue
from domain.reminders import DROPOUT_OVERDUE, case_period
from domain.roles import Role
from reminders.rules.base import Batch, Firing, Packed, Reminder, fire_instant
from storage.dropouts import CaseRow, cases_for
from storage.plan_settings import dropout_due_rules
from storage.reminders import Recipient, reachable_cadres
from ui.views.reminders import dropout_overdue_reminder


async def overdue_cases(
    session: AsyncSession, now: datetime, tz: ZoneInfo
) -> list[tuple[CaseRow, int]]:
    """Open cases late at `now`, with the whole local days they are late: two queries."""
    rows = await cases_for(session, everything=True, open_only=True)
    rules = await dropout_due_rules(session)
    found = []
    for row in rows:
        times = CaseTimes(row.state, row.reported_at, row.acknowledged_at, row.confirmed_at)
        days = days_overdue(times, now, tz, rules)
        if days > 0:
            found.append((row, days))
    return found


class DropoutOverdue:
    name = DROPOUT_OVERDUE

    async def due(self, firing: Firing) -> AsyncIterator[Reminder]:
        """Each overdue step once to each audience: the period names the case and its state,
        the occurrence the audience."""
        spec, tz = firing.spec, firing.context.tz
        now = max(firing.clock.now(), fire_instant(spec, firing.occurrence.day, tz))
        overdue = await overdue_cases(firing.session, now, tz)
        if not overdue:
            return
        schools = sorted({c.school_unit_id for c, _ in overdue if c.school_unit_id is not None})
        at_school: dict[int, list[Recipient]] = defaultdict(list)
        if schools:  # the late cases' schools only, never every cadre
            for person in await reachable_cadres(firing.session, unit_ids=schools):
                at_school[person.unit_id].append(person)
        supervisors = await reachable_cadres(firing.session, roles=[Role.SUPERVISOR, Role.ADMIN])
        for case, days in overdue:
            school = [] if case.school_unit_id is None else at_school[case.school_unit_id]
            audiences = [("school", school)]
            if days >= spec.escalate_after_days or case.school_unit_id is None:
                audiences.append(("supervisors", supervisors))
            # One text per language, packed once: a school's people (hundreds, at province
            # scale) read the same words.
            views: dict[str | None, Packed] = {}
            period = case_period(case.id, case.state)
            for audience, recipients in audiences:
                for person in recipients:
                    view = views.get(person.locale)
                    if view is None:
                        view = views[person.locale] = Packed.of(
                            dropout_overdue_reminder(case, days, firing.t(person))
                        )
                    yield Reminder(person, self.name, period, audience, view.text, view.buttons)

    async def still_owed(self, batch: Batch) -> set[int]:
        """Still open, still in the state it was reminded of, still overdue."""
        overdue = await overdue_cases(batch.session, batch.clock.now(), batch.context.tz)
        late = {case_period(case.id, case.state) for case, _days in overdue}
        return {row.id for row in batch.rows if row.period in late}
