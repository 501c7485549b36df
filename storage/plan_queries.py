"""Read queries over the loaded plan: milestones with their task's units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Campaign, Milestone, Task


@dataclass(frozen=True)
class MilestoneRow:
    id: int
    due_date: date
    title_zh: str
    title_en: str
    task_title_zh: str
    task_title_en: str
    campaign_number: int
    responsible: tuple[str, ...]
    cooperating: tuple[str, ...]
    done_at: datetime | None


def _milestones() -> Select[*tuple[Any, ...]]:
    """Milestones with their task's titles, campaign and unit selectors."""
    return (
        select(
            Milestone.id,
            Milestone.due_date,
            Milestone.title_zh,
            Milestone.title_en,
            Task.title_zh,
            Task.title_en,
            Campaign.number,
            Task.responsible,
            Task.cooperating,
            Milestone.done_at,
        )
        .join(Task, Task.id == Milestone.task_id)
        .join(Campaign, Campaign.id == Task.campaign_id)
    )


def _milestone_row(row: Any) -> MilestoneRow:
    """Selectors are stored space-separated; a task may have no cooperating units."""
    values: list[Any] = [*row[:7], tuple(row[7].split()), tuple((row[8] or "").split()), row[9]]
    return MilestoneRow(*values)


async def milestones_between(
    session: AsyncSession, first: date | None, last: date
) -> list[MilestoneRow]:
    """Every milestone due in [first, last] (no `first`: due on or before `last`), with the
    selectors of the units it concerns."""
    due = Milestone.due_date <= last if first is None else Milestone.due_date.between(first, last)
    statement = _milestones().where(due).order_by(Milestone.due_date, Milestone.id)
    return [_milestone_row(row) for row in await session.execute(statement)]


async def milestone_by_id(session: AsyncSession, milestone_id: int) -> MilestoneRow | None:
    """A milestone with its task's unit selectors, for re-checking a button."""
    row = (await session.execute(_milestones().where(Milestone.id == milestone_id))).first()
    return None if row is None else _milestone_row(row)
