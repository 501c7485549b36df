"""Read roster tables from an .xlsx workbook or a folder of .csv files (blocking I/O).

These functions are synchronous on purpose: the import runs them in a worker thread
(`asyncio.to_thread`) so the event loop never waits on a disk or on openpyxl.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from domain.roster import (
    COLUMNS,
    RawTable,
    RosterImportError,
    RowError,
    canonical_table,
    cell_text,
    map_headers,
)


def decode_csv_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM) first; else GB18030, as Excel on Chinese Windows saves."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _table_from_rows(
    table: str, source: str, rows: Iterable[Sequence[Any]], errors: list[RowError]
) -> RawTable | None:
    """Turn header + data rows into a RawTable; row numbers count the header as 1."""
    iterator = iter(rows)
    header: Sequence[Any] | None = None
    for header_candidate in iterator:
        header = header_candidate
        break
    if header is None:
        return RawTable(table, source, {})
    positions, written, ignored, problems = map_headers(table, list(header))
    for problem in problems:
        errors.append(RowError(source, 1, "", problem))
    raw = RawTable(table, source, written, ignored_columns=tuple(ignored))
    for number, cells in enumerate(iterator, start=2):
        if all(cell_text(c) is None for c in cells):
            continue  # blank lines that Excel leaves at the end
        values = {col: cells[pos] for pos, col in positions.items() if pos < len(cells)}
        raw.rows.append((number, values))
    return raw


def _read_csv(path: Path, table: str, errors: list[RowError]) -> RawTable | None:
    text = decode_csv_bytes(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    return _table_from_rows(table, path.name, reader, errors)


def _read_xlsx(path: Path, errors: list[RowError]) -> tuple[list[RawTable], list[str]]:
    import openpyxl

    tables: list[RawTable] = []
    skipped: list[str] = []
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            table = canonical_table(sheet.title)
            if table is None:
                skipped.append(f"sheet {sheet.title}")
                continue
            raw = _table_from_rows(
                table, f"sheet {sheet.title}", sheet.iter_rows(values_only=True), errors
            )
            if raw is not None:
                tables.append(raw)
    finally:
        workbook.close()
    return tables, skipped


def read_roster_path(path: Path) -> tuple[list[RawTable], list[str]]:
    """Read every known table from PATH; returns (tables, skipped sources).

    Unknown sheets/files are skipped (and reported), never guessed at. Unreadable
    input and a table given twice raise RosterImportError.
    """
    errors: list[RowError] = []
    tables: list[RawTable] = []
    skipped: list[str] = []
    if path.is_dir():
        for file in sorted(path.iterdir()):
            if file.suffix.lower() != ".csv":
                continue
            table = canonical_table(file.stem)
            if table is None:
                skipped.append(file.name)
                continue
            raw = _read_csv(file, table, errors)
            if raw is not None:
                tables.append(raw)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            tables, skipped = _read_xlsx(path, errors)
        except (OSError, ValueError, KeyError) as error:
            raise RosterImportError(
                [RowError(path.name, 0, "", f"cannot read workbook: {error}")]
            ) from error
    elif path.suffix.lower() == ".csv":
        table = canonical_table(path.stem)
        if table is None:
            raise RosterImportError(
                [RowError(path.name, 0, "", f"unknown table; name the file one of {list(COLUMNS)}")]
            )
        raw = _read_csv(path, table, errors)
        if raw is not None:
            tables.append(raw)
    else:
        raise RosterImportError(
            [RowError(str(path), 0, "", "expected an .xlsx workbook or a folder of .csv files")]
        )
    seen: dict[str, str] = {}
    for raw in tables:
        if raw.table in seen:
            errors.append(
                RowError(raw.source, 0, "", f"table {raw.table} also given in {seen[raw.table]}")
            )
        seen.setdefault(raw.table, raw.source)
    if errors:
        raise RosterImportError(errors)
    return tables, skipped


def tables_from_dicts(data: Mapping[str, Sequence[Mapping[str, object]]]) -> list[RawTable]:
    """In-memory tables (the demo generator) in the same shape as files; rows start at 2."""
    tables: list[RawTable] = []
    for name, rows in data.items():
        table = canonical_table(name)
        if table is None:
            raise ValueError(f"unknown table {name!r}")
        present = {c for row in rows for c in row if c in COLUMNS[table]}
        raw = RawTable(table, name, {c: c for c in COLUMNS[table] if c in present})
        raw.rows = [
            (number, {c: v for c, v in row.items() if c in present})
            for number, row in enumerate(rows, start=2)
        ]
        tables.append(raw)
    return tables
