"""What a person will be reminded of and when, and what they owe right now (/reminders)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.periods import Month, Quarter
from domain.plan_rules import PlanRules
from domain.reminders import (
    DROPOUT_OVERDUE,
    HOUSEHOLD_VISIT,
    LEDGER_DEADLINE,
    MONTHLY_NOTICE,
    PROGRESS_REQUEST,
    VILLAGE_VISIT,
    RuleSpec,
    next_fire_days,
)
from domain.roles import Role, UnitKind, receives_notice
from domain.status import ledger_season
from services.actors import Actor
from services.reports.ledgers import incomplete_ledgers
from services.transaction import unit_of_work
from storage.cadres import unit_of
from storage.households import households_held_by
from storage.reminders import rules
from storage.village_visits import village_coverage_rows


@dataclass(frozen=True)
class ReminderLine:
    rule: str
    hour: int
    minute: int
    next_days: tuple[date, ...]
    owed_now: int | None  # None: not counted for this rule
    days_left: tuple[int, ...] = ()  # milestones: days before (+) or after (-) the due date
    escalate_after_days: int = 0  # dropout cases: days late before supervisors hear


@dataclass(frozen=True)
class Concern:
    """A rule concerns the person; `owed_now` counts what they owe today (None: not counted)."""

    owed_now: int | None = None


# None: the rule never reminds this person.
Concerns = Callable[[AsyncSession, Actor, date, PlanRules], Awaitable[Concern | None]]


async def _village(
    session: AsyncSession, actor: Actor, today: date, plan: PlanRules
) -> Concern | None:
    """A unit without a paired village is never reminded."""
    month = Month.containing(today)
    pairs = await village_coverage_rows(
        session, month.first_day, month.last_day, unit_id=actor.unit_id
    )
    return Concern(sum(1 for p in pairs if not p.covered)) if pairs else None


async def _households(
    session: AsyncSession, actor: Actor, today: date, plan: PlanRules
) -> Concern | None:
    quarter = Quarter.containing(today)
    held = await households_held_by(session, actor.cadre_id, quarter.first_day, quarter.last_day)
    return Concern(sum(1 for h in held if not h.visited_in_period)) if held else None


async def _ledgers(
    session: AsyncSession, actor: Actor, today: date, plan: PlanRules
) -> Concern | None:
    season = ledger_season(today, plan.ledger_season_opens)
    owed = await incomplete_ledgers(session, actor.cadre_id, season.year, season.opens, tz=plan.tz)
    return Concern(len(owed))


async def _dropouts(
    session: AsyncSession, actor: Actor, today: date, plan: PlanRules
) -> Concern | None:
    """Central schools hear of their late cases; supervisors of everyone's."""
    if actor.role in (Role.SUPERVISOR, Role.ADMIN):
        return Concern()
    unit = await unit_of(session, actor.unit_id)
    return Concern() if unit.kind == UnitKind.CENTRAL_SCHOOL else None


async def _unit_heads(
    session: AsyncSession, actor: Actor, today: date, plan: PlanRules
) -> Concern | None:
    return Concern() if actor.role is Role.UNIT_HEAD else None


async def _notice_readers(
    session: AsyncSession, actor: Actor, today: date, plan: PlanRules
) -> Concern | None:
    return Concern() if receives_notice(actor.role) else None


async def _anyone(
    session: AsyncSession, actor: Actor, today: date, plan: PlanRules
) -> Concern | None:
    return Concern()


CONCERNS: dict[str, Concerns] = {
    VILLAGE_VISIT: _village,
    HOUSEHOLD_VISIT: _households,
    LEDGER_DEADLINE: _ledgers,
    DROPOUT_OVERDUE: _dropouts,
    PROGRESS_REQUEST: _unit_heads,
    MONTHLY_NOTICE: _notice_readers,
}


async def reminder_overview(
    session: AsyncSession, actor: Actor, clock: Clock, plan: PlanRules
) -> list[ReminderLine]:
    """Enabled rules that concern the actor, with their next days and what is owed today."""
    today = local_today(clock, plan.tz)
    lines: list[ReminderLine] = []
    async with unit_of_work(session):
        for row in await rules(session):
            if not row.enabled:
                continue
            spec = RuleSpec.from_json(row.name, row.spec, row.hour, row.minute, row.enabled)
            concern = await CONCERNS.get(spec.name, _anyone)(session, actor, today, plan)
            if concern is None:
                continue
            lines.append(
                ReminderLine(
                    spec.name,
                    spec.hour,
                    spec.minute,
                    tuple(next_fire_days(spec, today)),
                    concern.owed_now,
                    spec.days_left,
                    spec.escalate_after_days,
                )
            )
    return lines
