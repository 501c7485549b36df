"""Read queries over the loaded plan: milestones with their task's units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
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


async def milestones_between(session: AsyncSession, first: date, last: date) -> list[MilestoneRow]:
    """Every milestone due in [first, last], with the selectors of the units it concerns."""
    statement = (
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
        .where(Milestone.due_date.between(first, last))
        .order_by(Milestone.due_date, Milestone.id)
    )
    rows = (await session.execute(statement)).all()
    return [
        MilestoneRow(
            id=row[0],
            due_date=row[1],
            title_zh=row[2],
            title_en=row[3],
            task_title_zh=row[4],
            task_title_en=row[5],
            campaign_number=row[6],
            responsible=tuple(row[7].split()),
            cooperating=tuple((row[8] or "").split()),
            done_at=row[9],
        )
        for row in rows
    ]
