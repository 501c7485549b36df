"""Gather the monthly notice: unit ranking, overdue milestones, open dropout cases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.coverage import Coverage, sum_by, total_of
from domain.deadlines import UnitRef, units_not_done
from domain.errors import InputRefused, PermissionRefused
from domain.ledgers import season_start
from domain.notice import (
    OverdueMilestone,
    RankedUnit,
    UnitStanding,
    not_ranked,
    overdue_on,
    rank_units,
)
from domain.periods import Month, Quarter
from domain.plan_rules import PlanRules
from domain.roles import receives_notice
from domain.status import ledger_season
from services.actors import Actor
from services.dropouts import dropout_case_counts
from services.reports.deadlines import milestones_with_progress
from services.transaction import unit_of_work
from storage.coverage import unit_coverage
from storage.ledgers import LedgerYear
from storage.village_visits import village_coverage_rows

# Milestones further back than this are history, not "overdue" news; the units concerned
# still see them (and can report them) until done: domain.deadlines.still_shown.
OVERDUE_LOOK_BACK = timedelta(days=365)


@dataclass(frozen=True)
class MonthlyNotice:
    """Everything the notice says about one month, as of its last day (or today)."""

    month: Month
    as_of: date
    quarter: Quarter
    ledger_year: int
    ranking: list[RankedUnit]
    overdue: list[OverdueMilestone]
    households: Coverage
    villages: Coverage
    ledgers: Coverage
    # Filled by the dropout-case feature when it is present: label -> count.
    dropout_cases: dict[str, int] = field(default_factory=dict)
    # Units with pairing duties but no paired households (a village only): listed, not ranked.
    unranked: list[UnitStanding] = field(default_factory=list)


def _by_unit(
    items: Iterable[tuple[str, str, int, int]],
) -> dict[str, Coverage]:
    return {row.key: row for row in sum_by(items)}


def _empty(code: str, name: str) -> Coverage:
    return Coverage(code, name, 0, 0)


def _total(table: dict[str, Coverage]) -> Coverage:
    return total_of(tuple(table.values()), "total", "")


async def monthly_notice(
    session: AsyncSession,
    month: Month,
    clock: Clock,
    tz: ZoneInfo,
    ledger_opens: tuple[int, int],
    locale: str,
) -> MonthlyNotice:
    """The notice for `month`, counted up to its last day or today, whichever is earlier.

    Households count for the quarter containing the month, from its first day to `as_of`.
    """
    today = local_today(clock, tz)
    as_of = min(month.last_day, today)
    quarter = Quarter.containing(month.first_day)
    held_at = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=tz)
    season = ledger_season(as_of, ledger_opens)
    # A scheduled notice is computed inside the rule run's transaction; /notice opens its own.
    async with unit_of_work(session):
        # Per unit in the database; ledgers count the same held households: one pass.
        units = await unit_coverage(
            session,
            quarter.first_day,
            as_of,
            held_at,
            LedgerYear(season.year, season_start(season.opens, tz)),
        )
        pairs = await village_coverage_rows(session, month.first_day, as_of)
        progress = await milestones_with_progress(session, as_of - OVERDUE_LOOK_BACK, as_of, locale)
        as_of_instant = min(clock.now(), held_at - timedelta(microseconds=1))
        dropout_cases = await dropout_case_counts(session, as_of_instant, tz)
    households = _by_unit((u.unit_code, u.unit_name, u.assigned, u.covered) for u in units)
    villages = _by_unit((p.unit_code, p.unit_name, 1, int(p.covered)) for p in pairs)
    ledgers = _by_unit((u.unit_code, u.unit_name, u.assigned, u.ledgers_complete) for u in units)

    refs = progress.units
    overdue: list[OverdueMilestone] = []
    overdue_count = dict.fromkeys((u.code for u in refs), 0)
    for _row, fact, latest in progress.items:
        days = overdue_on(fact.due_date, as_of)
        if days is None:
            continue
        behind = units_not_done(fact.selectors, fact.closed, refs, latest)
        for unit in behind:
            overdue_count[unit.code] += 1
        if behind:
            overdue.append(
                OverdueMilestone(fact.due_date, fact.title, days, tuple(u.name for u in behind))
            )

    def pick(table: dict[str, Coverage], unit: UnitRef) -> Coverage:
        return table.get(unit.code, _empty(unit.code, unit.name))

    # Only units with pairing duties (households or a village) stand in the notice: a unit
    # without any would otherwise rank first for doing nothing. Its overdue milestones are still
    # listed. Of these, units without paired households are listed apart, not ranked.
    standings = [
        UnitStanding(
            u.code,
            u.name,
            pick(households, u),
            pick(villages, u),
            pick(ledgers, u),
            overdue_count[u.code],
        )
        for u in refs
        if u.code in households or u.code in villages
    ]
    return MonthlyNotice(
        month=month,
        as_of=as_of,
        quarter=quarter,
        ledger_year=season.year,
        ranking=rank_units(standings),
        unranked=not_ranked(standings),
        overdue=sorted(overdue, key=lambda o: (o.due_date, o.title)),
        households=_total(households),
        villages=_total(villages),
        ledgers=_total(ledgers),
        dropout_cases=dropout_cases,
    )


async def notice_for(
    session: AsyncSession,
    actor: Actor,
    month: Month | None,
    clock: Clock,
    rules: PlanRules,
    locale: str,
) -> MonthlyNotice:
    """A supervisor's notice for `month` (default: this month so far, in the plan's zone)."""
    if not receives_notice(actor.role):
        raise PermissionRefused("notice_supervisors_only")
    this_month = Month.containing(local_today(clock, rules.tz))
    month = month or this_month
    if month > this_month:
        raise InputRefused("notice_future_month", month=str(month))
    return await monthly_notice(session, month, clock, rules.tz, rules.ledger_season_opens, locale)


@dataclass(frozen=True)
class PeriodLabels:
    """The notice's quarter, month and day as the reader's language writes them (2026年第四季度,
    Q4 2026), formatted by the caller's presentation layer; ISO by default."""

    quarter: str
    month: str
    as_of: str

    @classmethod
    def iso(cls, notice: MonthlyNotice) -> PeriodLabels:
        return cls(str(notice.quarter), str(notice.month), notice.as_of.isoformat())
