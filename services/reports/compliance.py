"""Coverage reports: each person sees the part of the county their role allows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.coverage import (
    Coverage,
    CoverageReport,
    LedgerCoverage,
    VillageCoverage,
    sum_by,
    total_of,
    village_month_for,
)
from domain.errors import InputRefused, PermissionRefused
from domain.ledgers import season_start
from domain.periods import Month, Quarter
from domain.plan_rules import PlanRules
from domain.roles import ComplianceScope, FocusKind, compliance_scope, may_focus
from domain.status import ledger_season
from services.actors import Actor
from services.transaction import unit_of_work
from storage.coverage import CoverageCell, coverage_cells, coverage_levels, focus_target
from storage.evidence import far_visit_count
from storage.ledgers import LedgerYear
from storage.village_visits import VillageCoverageRow, village_coverage_rows


def period_end_instant(quarter: Quarter, tz: ZoneInfo) -> datetime:
    """Midnight after the quarter's last day, local time: who holds a household then counts."""
    return datetime.combine(quarter.last_day + timedelta(days=1), time.min, tzinfo=tz)


def village_section(month: Month, rows: list[VillageCoverageRow]) -> VillageCoverage:
    """Fold unit-village pairs into the month's figures by unit and township."""
    by_unit = sum_by((r.unit_code, r.unit_name, 1, int(r.covered)) for r in rows)
    by_township = sum_by((r.township_code, r.township_name, 1, int(r.covered)) for r in rows)
    return VillageCoverage(str(month), total_of(by_unit, "total", ""), by_unit, by_township)


# Per (code, name): [households, visited, complete ledgers].
_Sums = dict[tuple[str, str], list[int]]


def _fold(cells: Iterable[CoverageCell]) -> tuple[_Sums, _Sums, _Sums]:
    """Sum the cells per cadre, unit and township in one pass (a province has 200,000 cells:
    one loop over plain lists, no object per cell and level)."""
    by_cadre: _Sums = {}
    by_unit: _Sums = {}
    by_township: _Sums = {}
    for cell in cells:
        assigned, covered, complete = cell.assigned, cell.covered, cell.ledgers_complete
        for sums, key in (
            (by_cadre, (cell.cadre_code, cell.cadre_name)),
            (by_unit, (cell.unit_code, cell.unit_name)),
            (by_township, (cell.township_code, cell.township_name)),
        ):
            bucket = sums.get(key)
            if bucket is None:
                sums[key] = [assigned, covered, complete]
            else:
                bucket[0] += assigned
                bucket[1] += covered
                bucket[2] += complete
    return by_cadre, by_unit, by_township


# A level's rows: households visited, and complete ledgers, both sorted by (code, name).
LevelRows = tuple[tuple[Coverage, ...], tuple[Coverage, ...]]


@dataclass(frozen=True)
class Levels:
    """The rows of every level a report may show."""

    by_cadre: LevelRows
    by_unit: LevelRows
    by_township: LevelRows


def _rows(sums: _Sums) -> LevelRows:
    """Coverage rows sorted by (code, name): households visited, and complete ledgers."""
    keys = sorted(sums)  # the keys alone: sorting the items is ~4x slower
    figures = [sums[key] for key in keys]
    return (
        tuple(Coverage(k, n, f[0], f[1]) for (k, n), f in zip(keys, figures, strict=True)),
        tuple(Coverage(k, n, f[0], f[2]) for (k, n), f in zip(keys, figures, strict=True)),
    )


def levels_of_cells(cells: Iterable[CoverageCell]) -> Levels:
    """The levels folded in Python, from cells already filtered (a township's view)."""
    by_cadre, by_unit, by_township = (_rows(sums) for sums in _fold(cells))
    return Levels(by_cadre, by_unit, by_township)


def levels_of_rows(rows: Iterable[tuple[int, str, str, int, int, int]]) -> Levels:
    """The levels summed and sorted by the database (storage.coverage.coverage_levels)."""
    built: tuple[tuple[list[Coverage], list[Coverage]], ...] = (([], []), ([], []), ([], []))
    for level, code, name, assigned, covered, complete in rows:
        households, ledgers = built[level]
        households.append(Coverage(code, name, assigned, covered))
        ledgers.append(Coverage(code, name, assigned, complete))
    cadre, unit, township = ((tuple(h), tuple(led)) for h, led in built)
    return Levels(cadre, unit, township)


def build_report(
    quarter: Quarter,
    scope: ComplianceScope,
    levels: Levels,
    villages: VillageCoverage | None = None,
    ledger_year: int | None = None,
    far_visits: int = 0,
    total_name: str = "",
    focus_name: str = "",
    focus_code: str = "",
) -> CoverageReport:
    """The rows the scope shows; with `ledger_year`, the ledger section of the same held
    households too."""
    county = scope is ComplianceScope.COUNTY
    by_cadre, by_unit, by_township = levels.by_cadre, levels.by_unit, levels.by_township
    ledgers = None
    if ledger_year is not None:
        ledgers = LedgerCoverage(
            ledger_year,
            total_of(by_cadre[1], "total", ""),
            by_unit=by_unit[1] if county else (),
            by_township=by_township[1] if county else (),
            by_cadre=by_cadre[1] if scope is not ComplianceScope.OWN else (),
        )
    return CoverageReport(
        period=str(quarter),
        scope=scope.value,
        total=total_of(by_cadre[0], "total", total_name),
        by_unit=by_unit[0] if county else (),
        by_township=by_township[0] if county else (),
        by_cadre=by_cadre[0] if scope is not ComplianceScope.OWN else (),
        villages=villages,
        ledgers=ledgers,
        far_visits=far_visits if county else 0,
        focus_name=focus_name,
        focus_code=focus_code,
    )


@dataclass(frozen=True)
class _View:
    """Whose figures a report shows: a scope, the filters that make it, and a title name."""

    scope: ComplianceScope
    unit_id: int | None = None
    cadre_id: int | None = None
    township_code: str | None = None
    focus_name: str = ""
    focus_code: str = ""


async def _view_for(session: AsyncSession, actor: Actor, focus: str | None) -> _View:
    """The actor's own view, or the unit, township or cadre a supervisor named by code."""
    scope = compliance_scope(actor.role)
    if focus is None:
        return _View(
            scope,
            unit_id=actor.unit_id if scope is ComplianceScope.UNIT else None,
            cadre_id=actor.cadre_id if scope is ComplianceScope.OWN else None,
        )
    target = await focus_target(session, focus)
    if target is None:
        raise InputRefused("compliance_unknown_code", code=focus[:40])
    kind = FocusKind(target.kind)
    if not may_focus(actor.role, kind, same_unit=target.unit_id == actor.unit_id):
        raise PermissionRefused("compliance_focus_forbidden", code=target.code)
    name, code = target.name, target.code
    if kind is FocusKind.UNIT:
        return _View(ComplianceScope.UNIT, unit_id=target.id, focus_name=name, focus_code=code)
    if kind is FocusKind.CADRE:
        return _View(ComplianceScope.OWN, cadre_id=target.id, focus_name=name, focus_code=code)
    return _View(ComplianceScope.COUNTY, township_code=code, focus_name=name, focus_code=code)


async def compliance_for(
    session: AsyncSession,
    actor: Actor,
    quarter: Quarter | None,
    clock: Clock,
    rules: PlanRules,
    focus: str | None = None,
) -> CoverageReport:
    """The actor's view: own households, the unit by cadre, or the county by unit and township.

    Supervisors may narrow it to a unit, a township or a cadre by code (`focus`); unit heads
    to a cadre of their unit. With no quarter given, the current one in the plan's time zone.
    """
    async with unit_of_work(session):
        view = await _view_for(session, actor, focus)
        # A cadre sees the unit's village (the visit is the unit's duty); a report on a
        # named cadre is about their households and ledgers only.
        village_unit = actor.unit_id if view.scope is ComplianceScope.OWN else view.unit_id
        with_villages = not (view.cadre_id is not None and view.focus_name)
        return await _report(
            session,
            view,
            village_unit,
            with_villages,
            quarter,
            clock,
            rules.tz,
            rules.ledger_season_opens,
            always_sections=False,
        )


async def county_compliance(
    session: AsyncSession,
    quarter: Quarter | None,
    clock: Clock,
    tz: ZoneInfo,
    ledger_opens: tuple[int, int] = (9, 1),
    today: date | None = None,
) -> CoverageReport:
    """The whole county with every breakdown, for machine-readable reports.

    `today` pins the day the month of village visits and the ledger season follow (a
    region's counties, read one after another, all on the same day); default: the clock's.
    """
    async with unit_of_work(session):
        return await _report(
            session,
            _View(ComplianceScope.COUNTY),
            None,
            True,
            quarter,
            clock,
            tz,
            ledger_opens,
            always_sections=True,
            today=today,
        )


async def _report(
    session: AsyncSession,
    view: _View,
    village_unit: int | None,
    with_villages: bool,
    quarter: Quarter | None,
    clock: Clock,
    tz: ZoneInfo,
    ledger_opens: tuple[int, int],
    *,
    always_sections: bool,
    today: date | None = None,
) -> CoverageReport:
    """Households, village visits, ledgers and far visits of one view, in the caller's transaction.

    `always_sections` keeps empty village and ledger sections (machine-readable reports).
    """
    today = today or local_today(clock, tz)
    quarter = quarter or Quarter.containing(today)
    if quarter.first_day > today:  # nothing is owed yet: not a row of zeros
        raise InputRefused("compliance_future_quarter", quarter=str(quarter))
    month = village_month_for(quarter, today)
    held_at = period_end_instant(quarter, tz)
    season = ledger_season(min(today, quarter.last_day), ledger_opens)
    # Ledgers count the households held at the period's end, as coverage does: one pass.
    ledger_year = LedgerYear(season.year, season_start(season.opens, tz))
    dates = (quarter.first_day, quarter.last_day, held_at)
    if view.township_code is None:  # summed per level in the database
        levels = levels_of_rows(
            await coverage_levels(
                session, *dates, ledger_year, unit_id=view.unit_id, cadre_id=view.cadre_id
            )
        )
    else:  # a township's cells, folded here
        cells = await coverage_cells(
            session, *dates, unit_id=view.unit_id, cadre_id=view.cadre_id, ledgers=ledger_year
        )
        levels = levels_of_cells(c for c in cells if c.township_code == view.township_code)
    pairs = (
        await village_coverage_rows(session, month.first_day, month.last_day, unit_id=village_unit)
        if with_villages
        else []
    )
    far = (
        await far_visit_count(session, quarter.first_day, quarter.last_day)
        if view.scope is ComplianceScope.COUNTY and view.township_code is None
        else 0
    )
    if view.township_code is not None:
        pairs = [p for p in pairs if p.township_code == view.township_code]
    return build_report(
        quarter,
        view.scope,
        levels,
        village_section(month, pairs) if pairs or always_sections else None,
        season.year if levels.by_cadre[0] or always_sections else None,
        far,
        focus_name=view.focus_name,
        focus_code=view.focus_code,
    )
