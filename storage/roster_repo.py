"""Bulk reads and writes of roster tables: one query per table, never one per row.

The import compares whole tables in memory, so it needs every existing row at once and
writes back in batches. Callers own the transaction; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.roster import COLUMNS
from storage.models import (
    Base,
    Cadre,
    Household,
    Member,
    Pairing,
    Township,
    Unit,
    UnitVillage,
    Village,
)

MODELS: dict[str, type[Base]] = {
    "townships": Township,
    "villages": Village,
    "units": Unit,
    "cadres": Cadre,
    "households": Household,
    "members": Member,
}


def _stored(column: str) -> str:
    """A reference by roster code is kept as the row's id (`village_code` -> `village_id`)."""
    return column.removesuffix("_code") + "_id" if column.endswith("_code") else column


# Columns the import owns per table (others, like a cadre's Telegram binding, stay untouched).
OWNED_COLUMNS: dict[str, tuple[str, ...]] = {
    table: tuple(_stored(column) for column in COLUMNS[table]) for table in MODELS
}

BATCH = 2000
Progress = Callable[[int], object]
_T = TypeVar("_T")


def _batches(rows: Sequence[_T]) -> Iterator[Sequence[_T]]:
    """Rows in slices of BATCH, so no single statement grows without bound."""
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


async def existing_rows(session: AsyncSession, table: str) -> list[dict[str, Any]]:
    """Every row of a roster table as {column: value}, id included; one query."""
    model = MODELS[table]
    columns = [model.__table__.c[name] for name in ("id", *OWNED_COLUMNS[table])]
    result = await session.execute(select(*columns))
    return [dict(row._mapping) for row in result]


async def code_ids(session: AsyncSession, table: str) -> dict[str, int]:
    """code -> id for a coded table (to resolve references after inserts)."""
    model = MODELS[table]
    t = model.__table__
    result = await session.execute(select(t.c.code, t.c.id))
    return {code: id_ for code, id_ in result.all()}


async def write_rows(
    session: AsyncSession,
    table: str,
    inserts: Sequence[dict[str, Any]],
    updates: Sequence[dict[str, Any]],
    progress: Progress | None = None,
) -> None:
    """Bulk INSERT the new rows (executemany / insertmanyvalues) and UPDATE the others by
    primary key (every dict carries `id` and the changed columns), in batches."""
    model = MODELS[table]
    # Updates go by the set of changed columns so each executemany has a uniform shape.
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in updates:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    writes = [(insert(model), inserts), *((update(model), group) for group in groups.values())]
    for statement, rows in writes:
        for chunk in _batches(rows):
            await session.execute(statement, list(chunk))
            if progress is not None:
                progress(len(chunk))


async def open_pairings(session: AsyncSession) -> dict[int, tuple[int, int]]:
    """household_id -> (pairing id, cadre id) for every open pairing."""
    result = await session.execute(
        select(Pairing.household_id, Pairing.id, Pairing.cadre_id).where(Pairing.until.is_(None))
    )
    return {h: (p, c) for h, p, c in result.all()}


async def close_pairings(
    session: AsyncSession, pairing_ids: Sequence[int], until: datetime
) -> None:
    """End pairings (a household changes holder); history is kept, never deleted."""
    for chunk in _batches(pairing_ids):
        await session.execute(update(Pairing).where(Pairing.id.in_(chunk)).values(until=until))


async def open_new_pairings(
    session: AsyncSession, pairs: Sequence[tuple[int, int]], since: datetime
) -> None:
    """Open (cadre_id, household_id) pairings starting at `since`."""
    rows = [{"cadre_id": c, "household_id": h, "since": since, "until": None} for c, h in pairs]
    for chunk in _batches(rows):
        await session.execute(insert(Pairing), list(chunk))


async def unit_village_pairs(session: AsyncSession) -> set[tuple[int, int]]:
    result = await session.execute(select(UnitVillage.unit_id, UnitVillage.village_id))
    return {(u, v) for u, v in result.all()}


async def insert_unit_villages(session: AsyncSession, pairs: Sequence[tuple[int, int]]) -> None:
    rows = [{"unit_id": u, "village_id": v} for u, v in pairs]
    for chunk in _batches(rows):
        await session.execute(insert(UnitVillage), list(chunk))
