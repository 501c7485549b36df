"""Milestone progress reports: the latest per unit, and the monthly upsert."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MilestoneReport, Unit


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
