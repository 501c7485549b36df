"""Import the roster: validate every row, then upsert all tables in one transaction.

All-or-nothing: the clerk gets every problem at once (sheet, Excel row, column, reason)
and either the whole roster lands or nothing does. Re-importing the same files is a no-op,
so a clerk may re-run an import after fixing a single cell.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tqdm import tqdm

from domain.clock import Clock
from domain.roster import (
    REQUIRED,
    TABLE_ORDER,
    ChangeCount,
    RawTable,
    RosterImportError,
    RowError,
    cell_text,
    key_columns,
    row_key,
    validate_row,
)
from services.files.roster import read_roster_path, tables_from_dicts
from services.transaction import unit_of_work
from storage import roster_repo

__all__ = [
    "ImportSummary",
    "RosterImportError",
    "RowError",
    "check_rows",
    "import_roster",
    "import_tables",
    "prepare_tables",
]

# A progress bar only pays off on big files; small imports finish before it would draw.
PROGRESS_THRESHOLD = 2000

# Reference columns: column in the file -> (referenced table, id column in the model).
REFERENCES: dict[str, dict[str, tuple[str, str]]] = {
    "townships": {},
    "villages": {"township_code": ("townships", "township_id")},
    "units": {"township_code": ("townships", "township_id")},
    "cadres": {"unit_code": ("units", "unit_id")},
    "households": {"village_code": ("villages", "village_id")},
    "members": {"household_code": ("households", "household_id")},
    "pairings": {
        "cadre_code": ("cadres", "cadre_id"),
        "household_code": ("households", "household_id"),
    },
    "unit_villages": {
        "unit_code": ("units", "unit_id"),
        "village_code": ("villages", "village_id"),
    },
}
# Values a new row gets when its column is absent from the file (mirrors the model).
INSERT_DEFAULTS: dict[str, dict[str, object]] = {
    "villages": {"poor": True, "latitude": None, "longitude": None},
    "cadres": {"role": "cadre", "phone": None},
    "units": {"township_id": None},
    "households": {"size": None, "status": None, "latitude": None, "longitude": None},
    "members": {
        "sex": None,
        "birth_date": None,
        "stage": None,
        "school": None,
        "grade": None,
        "status": None,
    },
}
CODED = ("townships", "villages", "units", "cadres", "households")


@dataclass
class ImportSummary:
    """What the import did, per table; printed by the CLI."""

    counts: dict[str, ChangeCount] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    ignored_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(c.changed for c in self.counts.values())

    def __str__(self) -> str:
        lines = [f"{table}: {count}" for table, count in self.counts.items()]
        lines += [f"skipped (unknown table): {name}" for name in self.skipped]
        lines += [
            f"{source}: ignored column(s) {', '.join(cols)}"
            for source, cols in self.ignored_columns.items()
        ]
        return "\n".join(lines) if lines else "nothing to import"


@dataclass
class PreparedTable:
    """A table whose rows passed the per-row checks; values are typed."""

    table: str
    source: str
    present: frozenset[str]
    rows: list[tuple[int, dict[str, object]]]
    headers: dict[str, str]  # canonical column -> header as written, for error messages


def check_rows(
    tables: Sequence[RawTable],
) -> tuple[dict[str, PreparedTable], list[RowError], dict[str, set[str]]]:
    """Per-row checks and duplicates within the import, collecting every problem.

    Returns the good rows, the problems, and per coded table every code the file
    names (bad rows included), so a reference to a bad row is not also called unknown.
    """
    errors: list[RowError] = []
    prepared: dict[str, PreparedTable] = {}
    named: dict[str, set[str]] = {}
    for raw in tables:
        present = frozenset(raw.headers)
        missing = [c for c in REQUIRED[raw.table] if c not in present]
        for column in missing:
            errors.append(RowError(raw.source, 1, column, "required column is missing"))
        if missing:
            continue
        if raw.table in CODED:
            named[raw.table] = {
                code for _, values in raw.rows if (code := cell_text(values.get("code")))
            }
        rows: list[tuple[int, dict[str, object]]] = []
        first_seen: dict[tuple[object, ...], int] = {}
        for number, values in raw.rows:
            clean, row_errors = validate_row(
                raw.table, raw.source, number, set(present), values, raw.headers
            )
            errors.extend(row_errors)
            if clean is None:
                continue
            key = row_key(raw.table, clean)
            if key in first_seen:
                what = "/".join(key_columns(raw.table))
                shown = "/".join(str(k) for k in key)
                errors.append(
                    RowError(
                        raw.source,
                        number,
                        raw.headers.get(key_columns(raw.table)[-1], key_columns(raw.table)[-1]),
                        f"duplicate {what} {shown!r} (first in row {first_seen[key]})",
                    )
                )
                continue
            first_seen[key] = number
            rows.append((number, clean))
        prepared[raw.table] = PreparedTable(raw.table, raw.source, present, rows, raw.headers)
    return prepared, errors, named


def prepare_tables(tables: Sequence[RawTable]) -> dict[str, PreparedTable]:
    """The checks that need no database; raises RosterImportError with every problem."""
    prepared, errors, _ = check_rows(tables)
    if errors:
        raise RosterImportError(errors)
    return prepared


Checked = tuple[dict[str, PreparedTable], list[RowError], dict[str, set[str]]]


async def import_roster(
    sessionmaker: async_sessionmaker[AsyncSession],
    path: Path,
    *,
    clock: Clock,
    show_progress: bool = False,
) -> ImportSummary:
    """Import an .xlsx workbook or a folder of CSV files; raises RosterImportError."""

    def read_and_check() -> tuple[Checked, ImportSummary]:
        tables, skipped = read_roster_path(path)
        summary = ImportSummary(
            skipped=skipped,
            ignored_columns={t.source: t.ignored_columns for t in tables if t.ignored_columns},
        )
        return check_rows(tables), summary

    checked, summary = await asyncio.to_thread(read_and_check)
    summary.counts = await _write(sessionmaker, checked, clock, show_progress)
    return summary


async def import_tables(
    sessionmaker: async_sessionmaker[AsyncSession],
    data: Mapping[str, Sequence[Mapping[str, object]]],
    *,
    clock: Clock,
    show_progress: bool = False,
) -> ImportSummary:
    """Import in-memory tables (same names and columns as the files); the demo's path."""
    checked = await asyncio.to_thread(check_rows, tables_from_dicts(data))
    return ImportSummary(counts=await _write(sessionmaker, checked, clock, show_progress))


async def _write(
    sessionmaker: async_sessionmaker[AsyncSession],
    checked: Checked,
    clock: Clock,
    show_progress: bool,
) -> dict[str, ChangeCount]:
    """Reference checks (they need the DB) and writes, in one transaction."""
    prepared, errors, named = checked
    total = sum(len(p.rows) for p in prepared.values())
    bar = tqdm(
        total=total,
        file=sys.stderr,
        unit="row",
        desc="import",
        disable=not (show_progress and total >= PROGRESS_THRESHOLD),
    )
    try:
        async with sessionmaker() as session, unit_of_work(session):
            upsert = _Upsert(session, prepared, named, errors, clock, bar.update)
            return await upsert.run()
    finally:
        bar.close()


class _Upsert:
    """One import inside one transaction: load everything, check references, write."""

    def __init__(
        self,
        session: AsyncSession,
        prepared: dict[str, PreparedTable],
        named: dict[str, set[str]],
        row_errors: list[RowError],
        clock: Clock,
        progress: Callable[[int], object],
    ) -> None:
        self.session = session
        self.prepared = prepared
        self.named = named
        self.row_errors = row_errors
        self.now = clock.now()
        self.progress = progress
        self.existing: dict[str, dict[Any, dict[str, Any]]] = {}
        self.ids: dict[str, dict[str, int]] = {}

    async def run(self) -> dict[str, ChangeCount]:
        for table in CODED:
            rows = await roster_repo.existing_rows(self.session, table)
            self.existing[table] = {r["code"]: r for r in rows}
            self.ids[table] = {code: r["id"] for code, r in self.existing[table].items()}
        self._check_references()
        counts: dict[str, ChangeCount] = {}
        for table in TABLE_ORDER:
            if table not in self.prepared:
                continue
            if table in CODED:
                counts[table] = await self._upsert_coded(table)
            elif table == "members":
                counts[table] = await self._upsert_members()
            elif table == "pairings":
                counts[table] = await self._upsert_pairings()
            else:
                counts[table] = await self._upsert_unit_villages()
        return counts

    def _check_references(self) -> None:
        """Every reference must name a row of this import or one already in the DB."""
        errors = list(self.row_errors)
        imported = self.named
        for table, prep in self.prepared.items():
            for number, row in prep.rows:
                for column, (target, _) in REFERENCES[table].items():
                    code = row.get(column)
                    if code is None:
                        continue
                    if code not in imported.get(target, set()) and code not in self.ids[target]:
                        errors.append(
                            RowError(
                                prep.source,
                                number,
                                prep.headers.get(column, column),
                                f"unknown {target[:-1]} {code!r}",
                            )
                        )
                new_unit = table == "units" and row["code"] not in self.ids["units"]
                if new_unit and row.get("kind") is None:
                    errors.append(
                        RowError(
                            prep.source,
                            number,
                            prep.headers.get("kind", "kind"),
                            "required for a new unit",
                        )
                    )
        if errors:
            raise RosterImportError(errors)

    def _values(self, table: str, row: dict[str, object]) -> dict[str, Any]:
        """File columns -> model columns, references resolved to ids."""
        values: dict[str, Any] = {}
        for column, value in row.items():
            ref = REFERENCES[table].get(column)
            if ref is None:
                values[column] = value
            else:
                target, id_column = ref
                values[id_column] = None if value is None else self.ids[target][str(value)]
        return values

    async def _upsert_coded(self, table: str) -> ChangeCount:
        count, inserted = await self._upsert(table, self.existing[table], lambda v: v["code"])
        if inserted:
            self.ids[table] = await roster_repo.code_ids(self.session, table)
        return count

    async def _upsert_members(self) -> ChangeCount:
        rows = await roster_repo.existing_rows(self.session, "members")
        existing = {(r["household_id"], r["name"]): r for r in rows}
        count, _ = await self._upsert("members", existing, lambda v: (v["household_id"], v["name"]))
        return count

    async def _upsert(
        self,
        table: str,
        existing: Mapping[Any, dict[str, Any]],
        key: Callable[[dict[str, Any]], Hashable],
    ) -> tuple[ChangeCount, bool]:
        """Insert rows new by `key`, update only the changed columns of the others."""
        count = ChangeCount()
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for _, row in self.prepared[table].rows:
            values = self._values(table, row)
            old = existing.get(key(values))
            if old is None:
                inserts.append({**INSERT_DEFAULTS.get(table, {}), **values})
                count.inserted += 1
                continue
            changed = {k: v for k, v in values.items() if old.get(k) != v}
            if changed:
                updates.append({"id": old["id"], **changed})
                count.updated += 1
            else:
                count.unchanged += 1
                self.progress(1)
        await roster_repo.write_rows(self.session, table, inserts, updates, self.progress)
        return count, bool(inserts)

    async def _upsert_pairings(self) -> ChangeCount:
        """A pairing row makes the cadre the holder; a different holder's pairing is closed."""
        count = ChangeCount()
        current = await roster_repo.open_pairings(self.session)
        to_close: list[int] = []
        to_open: list[tuple[int, int]] = []
        for _, row in self.prepared["pairings"].rows:
            values = self._values("pairings", row)
            cadre_id, household_id = values["cadre_id"], values["household_id"]
            held = current.get(household_id)
            if held is None:
                count.inserted += 1
            elif held[1] == cadre_id:
                count.unchanged += 1
                continue
            else:
                to_close.append(held[0])
                count.updated += 1
            to_open.append((cadre_id, household_id))
        # Close first: the partial unique index allows one open pairing per household.
        await roster_repo.close_pairings(self.session, to_close, self.now)
        await roster_repo.open_new_pairings(self.session, to_open, self.now)
        self.progress(len(self.prepared["pairings"].rows))
        return count

    async def _upsert_unit_villages(self) -> ChangeCount:
        count = ChangeCount()
        existing = await roster_repo.unit_village_pairs(self.session)
        new: list[tuple[int, int]] = []
        for _, row in self.prepared["unit_villages"].rows:
            values = self._values("unit_villages", row)
            pair = (values["unit_id"], values["village_id"])
            if pair in existing:
                count.unchanged += 1
            else:
                new.append(pair)
                count.inserted += 1
        await roster_repo.insert_unit_villages(self.session, new)
        self.progress(len(self.prepared["unit_villages"].rows))
        return count
