"""The milestones near today for a person's unit (supervisors: every unit), with progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.deadlines import (
    LOOK_AHEAD,
    Deadline,
    MilestoneFacts,
    ProgressNote,
    UnitRef,
    concerns,
    county_deadline,
    nearest_first,
    still_shown,
    unit_deadline,
)
from domain.roles import sees_all_deadlines
from services.actors import Actor
from services.transaction import unit_of_work
from storage.cadres import unit_of
from storage.plan_queries import MilestoneRow, milestones_between
from storage.progress import ReportRow, all_units, latest_reports


@dataclass(frozen=True)
class DeadlineList:
    unit_name: str | None
    items: list[Deadline]


def milestone_facts(row: MilestoneRow, locale: str) -> MilestoneFacts:
    """A storage row in the viewer's language, as the domain rules read it."""
    english = locale == "en"
    return MilestoneFacts(
        milestone_id=row.id,
        due_date=row.due_date,
        title=row.title_en if english else row.title_zh,
        task_title=row.task_title_en if english else row.task_title_zh,
        campaign_number=row.campaign_number,
        selectors=row.responsible + row.cooperating,
        closed=row.done_at is not None,
    )


def note_of(row: ReportRow) -> ProgressNote:
    return ProgressNote(row.unit_id, row.unit_name, row.month, row.text, row.done)


async def unit_deadlines(
    session: AsyncSession, unit: UnitRef, today: date, locale: str
) -> list[Deadline]:
    """Every milestone that concerns the unit and is still shown (in the window, or overdue
    and not done however old), with its latest report.

    Two queries (milestones, latest reports of this unit); the caller owns the transaction.
    """
    rows = await milestones_between(session, None, today + LOOK_AHEAD)
    facts = [milestone_facts(row, locale) for row in rows]
    mine = [f for f in facts if concerns(f.selectors, unit)]
    reports = await latest_reports(session, [f.milestone_id for f in mine], unit_id=unit.id)
    latest = {r.milestone_id: note_of(r) for r in reports}
    items = [unit_deadline(f, today, latest.get(f.milestone_id)) for f in mine]
    return [d for d in items if still_shown(d, today)]


async def county_deadlines(session: AsyncSession, today: date, locale: str) -> list[Deadline]:
    """Every milestone still shown (in the window, or overdue with a unit not done) with units
    done / concerned; three queries in all."""
    progress = await milestones_with_progress(session, None, today + LOOK_AHEAD, locale)
    items = [
        county_deadline(facts, today, progress.units, latest)
        for _row, facts, latest in progress.items
    ]
    return [d for d in items if still_shown(d, today)]


async def deadlines_for(
    session: AsyncSession, actor: Actor, clock: Clock, tz: ZoneInfo, locale: str
) -> DeadlineList:
    """Overdue and upcoming milestones of the actor's unit (or the county), nearest first."""
    today = local_today(clock, tz)
    async with unit_of_work(session):
        if sees_all_deadlines(actor.role):
            return DeadlineList(None, nearest_first(await county_deadlines(session, today, locale)))
        unit = await unit_of(session, actor.unit_id)
        ref = UnitRef(unit.id, unit.code, unit.name, unit.kind)
        items = await unit_deadlines(session, ref, today, locale)
    return DeadlineList(unit.name, nearest_first(items))


@dataclass(frozen=True)
class MilestoneProgress:
    """Milestones due in a window with every unit's latest report: for notices and reminders."""

    units: list[UnitRef]
    items: list[tuple[MilestoneRow, MilestoneFacts, dict[int, ProgressNote]]]


async def milestones_with_progress(
    session: AsyncSession, first: date | None, last: date, locale: str
) -> MilestoneProgress:
    """Three queries, whatever the number of milestones and units; the caller's transaction.

    No `first`: every milestone due on or before `last`."""
    rows = await milestones_between(session, first, last)
    units = [UnitRef(u.id, u.code, u.name, u.kind) for u in await all_units(session)]
    reports = await latest_reports(session, [r.id for r in rows])
    by_milestone: dict[int, dict[int, ProgressNote]] = {}
    for report in reports:
        by_milestone.setdefault(report.milestone_id, {})[report.unit_id] = note_of(report)
    return MilestoneProgress(
        units,
        [(row, milestone_facts(row, locale), by_milestone.get(row.id, {})) for row in rows],
    )
