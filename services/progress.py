"""Monthly progress on the unit's open milestones, reported by its unit head."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.deadlines import (
    Deadline,
    UnitRef,
    concerns,
    nearest_first,
    still_shown,
    unit_deadline,
)
from domain.errors import InputRefused, PermissionRefused
from domain.progress import (
    MAX_OPEN_SHOWN,
    clean_progress_text,
    report_month,
    require_unit_head,
)
from services.actors import Actor
from services.reports.deadlines import milestone_facts, note_of, unit_deadlines
from services.transaction import unit_of_work
from storage.cadres import unit_of
from storage.plan_queries import milestone_by_id
from storage.progress import latest_reports, report_exists, upsert_report


@dataclass(frozen=True)
class OpenMilestones:
    unit_name: str
    month: str
    items: list[Deadline]


@dataclass(frozen=True)
class ProgressSaved:
    milestone: Deadline
    month: str
    text: str
    done: bool
    replaced: bool


async def _unit(session: AsyncSession, actor: Actor) -> UnitRef:
    unit = await unit_of(session, actor.unit_id)
    return UnitRef(unit.id, unit.code, unit.name, unit.kind)


async def open_milestones(
    session: AsyncSession, actor: Actor, clock: Clock, tz: ZoneInfo, locale: str
) -> OpenMilestones:
    """The unit's open milestones: due within the deadlines window, or overdue however old."""
    require_unit_head(actor.role)
    today = local_today(clock, tz)
    async with unit_of_work(session):
        unit = await _unit(session, actor)
        items = await unit_deadlines(session, unit, today, locale)
    still_open = [d for d in items if not d.done]
    return OpenMilestones(unit.name, report_month(today), nearest_first(still_open, MAX_OPEN_SHOWN))


async def _open_milestone(
    session: AsyncSession, actor: Actor, milestone_id: int, today: date, locale: str
) -> tuple[UnitRef, Deadline]:
    """Re-check a button: unit head, a milestone of this unit, still shown and still open
    (an overdue one stays open until done, however old)."""
    require_unit_head(actor.role)
    unit = await _unit(session, actor)
    row = await milestone_by_id(session, milestone_id)
    if row is None:
        raise InputRefused("stale_button")
    facts = milestone_facts(row, locale)
    if not concerns(facts.selectors, unit):
        raise PermissionRefused("progress_not_your_milestone")
    reports = await latest_reports(session, [milestone_id], unit_id=unit.id)
    deadline = unit_deadline(facts, today, note_of(reports[0]) if reports else None)
    if deadline.done or not still_shown(deadline, today):
        raise InputRefused("stale_button")
    return unit, deadline


async def start_report(
    session: AsyncSession,
    actor: Actor,
    milestone_id: int,
    clock: Clock,
    tz: ZoneInfo,
    locale: str,
) -> Deadline:
    """The milestone a pressed button names, after every check a forged button could dodge."""
    today = local_today(clock, tz)
    async with unit_of_work(session):
        _, deadline = await _open_milestone(session, actor, milestone_id, today, locale)
    return deadline


def check_text(text: str | None) -> str:
    """The typed progress, refused before the done/not-yet question when it cannot be kept."""
    return clean_progress_text(text)


async def save_report(
    session: AsyncSession,
    actor: Actor,
    milestone_id: int,
    text: str | None,
    done: bool,
    clock: Clock,
    tz: ZoneInfo,
    locale: str,
) -> ProgressSaved:
    """Keep one report per milestone, unit and month: a later one this month replaces it."""
    cleaned = clean_progress_text(text)
    today = local_today(clock, tz)
    month = report_month(today)
    async with unit_of_work(session):
        unit, deadline = await _open_milestone(session, actor, milestone_id, today, locale)
        replaced = await report_exists(session, milestone_id, unit.id, month)
        await upsert_report(
            session,
            {
                "milestone_id": milestone_id,
                "unit_id": unit.id,
                "month": month,
                "text": cleaned,
                "done": done,
                "reported_by": actor.cadre_id,
                "reported_at": clock.now(),
            },
        )
    return ProgressSaved(deadline, month, cleaned, done, replaced)
