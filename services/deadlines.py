"""The milestones near today for a person's unit (supervisors: every unit)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.deadlines import LOOK_AHEAD, LOOK_BACK, Deadline, nearest_first
from domain.plan import selector_matches
from domain.roles import sees_all_deadlines
from services.actors import Actor
from storage.cadres import unit_of
from storage.plan_queries import milestones_between


@dataclass(frozen=True)
class DeadlineList:
    unit_name: str | None
    items: list[Deadline]


async def deadlines_for(
    session: AsyncSession, actor: Actor, clock: Clock, tz: ZoneInfo, locale: str
) -> DeadlineList:
    """Overdue and upcoming milestones of the actor's unit, nearest first."""
    today = local_today(clock, tz)
    async with session.begin():
        unit = await unit_of(session, actor.unit_id)
        rows = await milestones_between(session, today - LOOK_BACK, today + LOOK_AHEAD)
    everyone = sees_all_deadlines(actor.role)
    items = [
        Deadline(
            milestone_id=row.id,
            due_date=row.due_date,
            title=row.title_en if locale == "en" else row.title_zh,
            task_title=row.task_title_en if locale == "en" else row.task_title_zh,
            campaign_number=row.campaign_number,
            done=row.done_at is not None,
            days_left=(row.due_date - today).days,
        )
        for row in rows
        if everyone
        or any(selector_matches(s, unit.code, unit.kind) for s in row.responsible + row.cooperating)
    ]
    return DeadlineList(None if everyone else unit.name, nearest_first(items))
