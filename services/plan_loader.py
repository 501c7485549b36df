"""Load a plan file into the campaigns, tasks and milestones tables, idempotently.

Campaigns are keyed by (plan year, number), tasks by (campaign, number) and milestones
by (task, due date), so loading the same file twice changes nothing and loading it
re-based onto another year adds that year's rows beside the old ones. Rows the file no
longer mentions are left alone (a milestone may already be marked done).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.plan import Plan, PlanError, parse_plan
from domain.roster import ChangeCount
from services.transaction import unit_of_work
from storage.models import Base, Campaign, Milestone, ReminderRule, Task
from storage.plan_settings import dropout_due_rules_saved, save_dropout_due_rules

_Row = TypeVar("_Row", bound=Base)
_Key = TypeVar("_Key", bound=Hashable)

__all__ = ["LoadSummary", "PlanError", "default_plan_path", "load_plan", "read_plan_file"]


def default_plan_path() -> Path:
    """The 2017 Yao'an plan that ships with the bot."""
    return Path(__file__).resolve().parent / "data" / "plan_yaoan_2017.toml"


def read_plan_file(path: Path) -> Plan:
    """Parse a plan TOML file (blocking; call before the async part or via to_thread)."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise PlanError(f"{path}: not valid TOML: {error}") from error
    try:
        return parse_plan(data)
    except PlanError as error:
        raise PlanError(f"{path}: {error}") from error


@dataclass
class LoadSummary:
    """What loading a plan did, per table; printed by the CLI."""

    year: int
    campaigns: ChangeCount = field(default_factory=ChangeCount)
    tasks: ChangeCount = field(default_factory=ChangeCount)
    milestones: ChangeCount = field(default_factory=ChangeCount)
    reminder_rules: ChangeCount = field(default_factory=ChangeCount)
    # The dropout-case due days: "set" (none were stored before), "changed" or "unchanged".
    due_days: str = "unchanged"

    @property
    def changed(self) -> int:
        return (
            self.campaigns.changed
            + self.tasks.changed
            + self.milestones.changed
            + self.reminder_rules.changed
        )

    def __str__(self) -> str:
        return (
            f"plan {self.year}\n"
            f"campaigns: {self.campaigns}\n"
            f"tasks: {self.tasks}\n"
            f"milestones: {self.milestones}\n"
            f"reminder rules: {self.reminder_rules}\n"
            f"dropout-case due days: {self.due_days}"
        )


def _assign(row: object, values: dict[str, object]) -> bool:
    """Set changed attributes only; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


async def _upsert(
    session: AsyncSession,
    row: _Row | None,
    make: Callable[..., _Row],
    values: dict[str, object],
    count: ChangeCount,
    **key: object,
) -> _Row:
    """Insert a new row (flushed: rows below it need its id) or update the changed values."""
    if row is None:
        row = make(**key, **values)
        session.add(row)
        await session.flush()
        count.inserted += 1
    elif _assign(row, values):
        count.updated += 1
    else:
        count.unchanged += 1
    return row


async def _rows_by(
    session: AsyncSession, statement: Select[_Row], key: Callable[[_Row], _Key]
) -> dict[_Key, _Row]:
    """The rows already loaded, by the key the plan file names them with."""
    return {key(row): row for row in (await session.execute(statement)).scalars()}


async def load_plan(session: AsyncSession, plan: Plan) -> LoadSummary:
    """Upsert the plan; opens its own transaction unless the caller already has one."""
    async with unit_of_work(session):
        return await _load(session, plan)


async def _load(session: AsyncSession, plan: Plan) -> LoadSummary:
    summary = LoadSummary(year=plan.year)
    campaigns = await _rows_by(
        session, select(Campaign).where(Campaign.plan_year == plan.year), lambda c: c.number
    )
    campaign_ids = [c.id for c in campaigns.values()]
    tasks = await _rows_by(
        session,
        select(Task).where(Task.campaign_id.in_(campaign_ids)),
        lambda t: (t.campaign_id, t.number),
    )
    task_ids = [t.id for t in tasks.values()]
    milestones = await _rows_by(
        session,
        select(Milestone).where(Milestone.task_id.in_(task_ids)),
        lambda m: (m.task_id, m.due_date),
    )

    for pc in plan.campaigns:
        campaign = await _upsert(
            session,
            campaigns.get(pc.number),
            Campaign,
            {"title_zh": pc.title_zh, "title_en": pc.title_en, "leader": pc.leader},
            summary.campaigns,
            plan_year=plan.year,
            number=pc.number,
        )
        for pt in pc.tasks:
            task_values: dict[str, object] = {
                "title_zh": pt.title_zh,
                "title_en": pt.title_en,
                "responsible": " ".join(pt.responsible),
                "cooperating": " ".join(pt.cooperating),
            }
            task = await _upsert(
                session,
                tasks.get((campaign.id, pt.number)),
                Task,
                task_values,
                summary.tasks,
                campaign_id=campaign.id,
                number=pt.number,
            )
            for pm in pt.milestones:
                await _upsert(
                    session,
                    milestones.get((task.id, pm.due)),
                    Milestone,
                    {"title_zh": pm.title_zh, "title_en": pm.title_en},
                    summary.milestones,
                    task_id=task.id,
                    due_date=pm.due,
                )
    await _load_reminder_rules(session, plan, summary)
    first = not await dropout_due_rules_saved(session)
    if await save_dropout_due_rules(session, plan.dropout_due):
        summary.due_days = "set" if first else "changed"
    await session.flush()
    return summary


async def _load_reminder_rules(session: AsyncSession, plan: Plan, summary: LoadSummary) -> None:
    """One row per rule; how far each rule has been evaluated is kept across reloads."""
    rows = await _rows_by(session, select(ReminderRule), lambda r: r.name)
    for spec in plan.reminders:
        values: dict[str, object] = {
            "spec": spec.to_json(),
            "hour": spec.hour,
            "minute": spec.minute,
            "enabled": spec.enabled,
        }
        await _upsert(
            session,
            rows.get(spec.name),
            ReminderRule,
            values,
            summary.reminder_rules,
            name=spec.name,
        )
