"""The coverage aggregate: assigned and covered households per cadre and township."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ledgers import LedgerYear, count_complete_ledgers
from storage.models import Cadre, Household, HouseholdVisit, Pairing, Township, Unit, Village
from storage.places import (
    CADRE_TOWNSHIP,
    CadreTownship,
    held_at,
    visited_between,
)


@dataclass(frozen=True, slots=True)
class CoverageCell(CadreTownship):
    """One (cadre, township) cell of the coverage table."""

    assigned: int
    covered: int
    # Of the assigned households, those whose ledger is complete (when ledgers were asked).
    ledgers_complete: int = 0


async def coverage_cells(
    session: AsyncSession,
    first_day: date,
    last_day: date,
    held_at_instant: datetime,
    *,
    unit_id: int | None = None,
    cadre_id: int | None = None,
    ledgers: LedgerYear | None = None,
) -> list[CoverageCell]:
    """One GROUP BY over pairings held at `held_at_instant` and visits dated in the period.

    A household counts for whoever holds it at the end of the period. With `ledgers`, the
    same statement also counts the held households whose ledger is complete (the ledger
    section of a report holds the same households: no second pass over them).
    """
    cells = _cells(first_day, last_day, held_at_instant, unit_id, cadre_id, ledgers).subquery()
    figures = [cells.c.assigned, cells.c.covered]
    if ledgers is not None:
        figures.append(cells.c.ledgers_complete)
    statement = (
        select(*CADRE_TOWNSHIP, *figures)
        .select_from(cells)
        .join(Cadre, Cadre.id == cells.c.cadre_id)
        .join(Unit, Unit.id == Cadre.unit_id)
        .join(Township, Township.id == cells.c.township_id)
    )
    # Core execution: plain rows, no ORM loading step per row (a province has 200,000 cells).
    result = await (await session.connection()).execute(statement)
    return [CoverageCell(*row) for row in result]


# The levels of `coverage_levels`' rows, in the order they come.
CADRE_LEVEL, UNIT_LEVEL, TOWNSHIP_LEVEL = 0, 1, 2


async def coverage_levels(
    session: AsyncSession,
    first_day: date,
    last_day: date,
    held_at_instant: datetime,
    ledgers: LedgerYear,
    *,
    unit_id: int | None = None,
    cadre_id: int | None = None,
) -> Sequence[tuple[int, str, str, int, int, int]]:
    """The (cadre, township) cells of `coverage_cells` summed in the database per cadre, per
    unit and per township: rows (level, code, name, assigned, covered, ledgers complete),
    by level, then code and name in code-point order (as Python sorts them).

    A province's 200,000 cells were read into Python and folded there; now only the rows a
    report shows leave the database, already summed and sorted. The cells are one CTE,
    counted once and read by the three sums."""
    cells = _cells(first_day, last_day, held_at_instant, unit_id, cadre_id, ledgers).cte("cells")
    sums = [
        func.sum(column).cast(BigInteger)
        for column in (cells.c.assigned, cells.c.covered, cells.c.ledgers_complete)
    ]
    by_cadre = (
        select(literal(CADRE_LEVEL).label("level"), Cadre.code, Cadre.name, *sums)
        .select_from(cells)
        .join(Cadre, Cadre.id == cells.c.cadre_id)
        .group_by(Cadre.id, Cadre.code, Cadre.name)
    )
    by_unit = (
        select(literal(UNIT_LEVEL), Unit.code, Unit.name, *sums)
        .select_from(cells)
        .join(Cadre, Cadre.id == cells.c.cadre_id)
        .join(Unit, Unit.id == Cadre.unit_id)
        .group_by(Unit.id, Unit.code, Unit.name)
    )
    by_township = (
        select(literal(TOWNSHIP_LEVEL), Township.code, Township.name, *sums)
        .select_from(cells)
        .join(Township, Township.id == cells.c.township_id)
        .group_by(Township.id, Township.code, Township.name)
    )
    rows = union_all(by_cadre, by_unit, by_township).subquery()
    postgres = session.get_bind().dialect.name == "postgresql"
    statement = select(rows).order_by(
        rows.c.level, _code_points(rows.c.code, postgres), _code_points(rows.c.name, postgres)
    )
    result = await (await session.connection()).execute(statement)
    return result.all()


def _cells(
    first_day: date,
    last_day: date,
    held_at_instant: datetime,
    unit_id: int | None,
    cadre_id: int | None,
    ledgers: LedgerYear | None,
) -> Select[Any]:
    """The (cadre id, township id) cells: held households, visited ones and, with `ledgers`,
    complete ledgers. Counted per ids, the names joined to the counted cells after: the
    grouping sorts or hashes ids only."""
    counted = _held_counts(
        (Pairing.cadre_id, Village.township_id), first_day, last_day, held_at_instant
    )
    if unit_id is not None:
        counted = counted.join(Cadre, Cadre.id == Pairing.cadre_id).where(Cadre.unit_id == unit_id)
    if cadre_id is not None:
        counted = counted.where(Pairing.cadre_id == cadre_id)
    if ledgers is None:
        return counted
    few = unit_id is not None or cadre_id is not None
    return count_complete_ledgers(counted, Household.id, ledgers, few=few)


def _code_points(column: ColumnElement[Any], postgres: bool) -> ColumnElement[Any]:
    """Order by code point, as Python compares strings: PostgreSQL's "C" collation (bytes
    of UTF-8, which order as code points); SQLite's default (BINARY) already does."""
    return column.collate("C") if postgres else column


def _held_counts(
    keys: tuple[Any, ...], first_day: date, last_day: date, held_at_instant: datetime
) -> Select[Any]:
    """Households held at `held_at_instant` per `keys`: how many, how many visited in
    [first_day, last_day]. Pairings, households and villages are joined."""
    visited = visited_between(
        HouseholdVisit.visit_date, first_day, last_day, HouseholdVisit.household_id
    )
    return (
        select(
            *keys,
            func.count(Pairing.household_id).label("assigned"),
            func.count(visited.c.household_id).label("covered"),
        )
        .select_from(Pairing)
        .join(Household, Household.id == Pairing.household_id)
        .join(Village, Village.id == Household.village_id)
        .outerjoin(visited, visited.c.household_id == Pairing.household_id)
        .where(held_at(held_at_instant))
        .group_by(*keys)
    )


@dataclass(frozen=True)
class UnitCoverage:
    """A unit's held households, how many were visited and how many have a complete ledger."""

    unit_code: str
    unit_name: str
    assigned: int
    covered: int
    ledgers_complete: int


async def unit_coverage(
    session: AsyncSession,
    first_day: date,
    last_day: date,
    held_at_instant: datetime,
    ledgers: LedgerYear,
) -> list[UnitCoverage]:
    """coverage_cells summed per unit in the database: one row per unit holding households
    (the notice ranks units; a province has far fewer units than cadres)."""
    counted = _held_counts((Cadre.unit_id,), first_day, last_day, held_at_instant).join(
        Cadre, Cadre.id == Pairing.cadre_id
    )
    units = count_complete_ledgers(counted, Household.id, ledgers, few=False).subquery()
    statement = select(
        Unit.code, Unit.name, units.c.assigned, units.c.covered, units.c.ledgers_complete
    ).join(units, units.c.unit_id == Unit.id)
    return [UnitCoverage(*row) for row in (await session.execute(statement)).all()]


@dataclass(frozen=True)
class FocusTarget:
    """A unit, township or cadre named by its roster code."""

    kind: str  # "unit" | "township" | "cadre"
    id: int
    code: str
    name: str
    unit_id: int | None  # the cadre's unit, or the unit itself


async def focus_target(session: AsyncSession, code: str) -> FocusTarget | None:
    """Find what a roster code names: units first, then townships, then cadres.

    Roster codes are unique within each table; the order only matters if an import reused
    one code in two tables, and then the unit wins.
    """
    unit = (await session.execute(select(Unit).where(Unit.code == code))).scalar_one_or_none()
    if unit is not None:
        return FocusTarget("unit", unit.id, unit.code, unit.name, unit.id)
    township = (
        await session.execute(select(Township).where(Township.code == code))
    ).scalar_one_or_none()
    if township is not None:
        return FocusTarget("township", township.id, township.code, township.name, None)
    cadre = (await session.execute(select(Cadre).where(Cadre.code == code))).scalar_one_or_none()
    if cadre is not None:
        return FocusTarget("cadre", cadre.id, cadre.code, cadre.name, cadre.unit_id)
    return None
