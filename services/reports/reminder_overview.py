"""What a person will be reminded of and when, and what they owe right now (/reminders)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.periods import Month, Quarter
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
from services.ledgers import incomplete_ledgers
from storage.cadres import unit_of
from storage.households import households_held_by
from storage.models import ReminderRule
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


def _concerns(rule: str, role: Role) -> bool:
    """Progress requests go to unit heads, the notice to supervisors; the rest to anyone."""
    if rule == PROGRESS_REQUEST:
        return role is Role.UNIT_HEAD
    if rule == MONTHLY_NOTICE:
        return receives_notice(role)
    return True


def _spec(row: ReminderRule) -> RuleSpec:
    return RuleSpec.from_json(row.name, row.spec, row.hour, row.minute, row.enabled)


async def reminder_overview(
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    tz: ZoneInfo,
    ledger_opens: tuple[int, int],
) -> list[ReminderLine]:
    """Enabled rules that concern the actor, with their next days and what is owed today."""
    today = local_today(clock, tz)
    lines: list[ReminderLine] = []
    async with session.begin():
        for row in await rules(session):
            if not row.enabled:
                continue
            spec = _spec(row)
            owed: int | None = None
            if spec.name == VILLAGE_VISIT:
                month = Month.containing(today)
                pairs = await village_coverage_rows(
                    session, month.first_day, month.last_day, unit_id=actor.unit_id
                )
                if not pairs:
                    continue  # the unit has no village: never reminded
                owed = sum(1 for p in pairs if not p.covered)
            elif spec.name == HOUSEHOLD_VISIT:
                quarter = Quarter.containing(today)
                held = await households_held_by(
                    session, actor.cadre_id, quarter.first_day, quarter.last_day
                )
                if not held:
                    continue
                owed = sum(1 for h in held if not h.visited_in_period)
            elif spec.name == LEDGER_DEADLINE:
                season = ledger_season(today, ledger_opens)
                owed = len(
                    await incomplete_ledgers(
                        session, actor.cadre_id, season.year, season.opens, tz=tz
                    )
                )
            elif spec.name == DROPOUT_OVERDUE:
                unit = await unit_of(session, actor.unit_id)
                school = unit.kind == UnitKind.CENTRAL_SCHOOL
                if not (school or actor.role in (Role.SUPERVISOR, Role.ADMIN)):
                    continue
            elif not _concerns(spec.name, actor.role):
                continue
            lines.append(
                ReminderLine(
                    spec.name,
                    spec.hour,
                    spec.minute,
                    tuple(next_fire_days(spec, today)),
                    owed,
                    spec.days_left,
                    spec.escalate_after_days,
                )
            )
    return lines
