"""Milestone progress reports: the latest per unit, and the monthly upsert."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Campaign, Milestone, MilestoneReport, Task, Unit


@dataclass(frozen=True)
class UnitRow:
    id: int
    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class ReportRow:
    """A unit's latest report on a milestone."""

    milestone_id: int
    unit_id: int
    unit_name: str
    month: str
    text: str
    done: bool


@dataclass(frozen=True)
class MilestoneById:
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


async def all_units(session: AsyncSession) -> list[UnitRow]:
    """Every unit with code and kind, so plan selectors can be matched in memory."""
    rows = await session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.kind).order_by(Unit.code)
    )
    return [UnitRow(*row) for row in rows.all()]


async def latest_reports(
    session: AsyncSession, milestone_ids: Sequence[int], unit_id: int | None = None
) -> list[ReportRow]:
    """One query: each (milestone, unit)'s report of its latest month (optionally one unit)."""
    if not milestone_ids:
        return []
    latest = (
        select(
            MilestoneReport.milestone_id,
            MilestoneReport.unit_id,
            func.max(MilestoneReport.month).label("month"),
        )
        .where(MilestoneReport.milestone_id.in_(milestone_ids))
        .group_by(MilestoneReport.milestone_id, MilestoneReport.unit_id)
    )
    if unit_id is not None:
        latest = latest.where(MilestoneReport.unit_id == unit_id)
    newest = latest.subquery()
    statement = (
        select(
            MilestoneReport.milestone_id,
            MilestoneReport.unit_id,
            Unit.name,
            MilestoneReport.month,
            MilestoneReport.text,
            MilestoneReport.done,
        )
        .join(
            newest,
            and_(
                newest.c.milestone_id == MilestoneReport.milestone_id,
                newest.c.unit_id == MilestoneReport.unit_id,
                newest.c.month == MilestoneReport.month,
            ),
        )
        .join(Unit, Unit.id == MilestoneReport.unit_id)
    )
    rows = (await session.execute(statement)).all()
    return [ReportRow(*row) for row in rows]


async def milestone_by_id(session: AsyncSession, milestone_id: int) -> MilestoneById | None:
    """A milestone with its task's unit selectors, for re-checking a button."""
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
        .where(Milestone.id == milestone_id)
    )
    row = (await session.execute(statement)).first()
    if row is None:
        return None
    return MilestoneById(
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


async def report_exists(session: AsyncSession, milestone_id: int, unit_id: int, month: str) -> bool:
    statement = select(MilestoneReport.id).where(
        MilestoneReport.milestone_id == milestone_id,
        MilestoneReport.unit_id == unit_id,
        MilestoneReport.month == month,
    )
    return (await session.execute(statement)).first() is not None


async def upsert_report(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert the month's report, or replace its text and done flag (one row per month)."""
    connection = await session.connection()
    insert_fn = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert_fn(MilestoneReport).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["milestone_id", "unit_id", "month"],
        set_={
            "text": statement.excluded.text,
            "done": statement.excluded.done,
            "reported_by": statement.excluded.reported_by,
            "reported_at": statement.excluded.reported_at,
        },
    )
    await session.execute(statement)
