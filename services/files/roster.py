"""Read roster tables from an .xlsx workbook or a folder of .csv files (blocking I/O).

These functions are synchronous on purpose: the import runs them in a worker thread
(`asyncio.to_thread`) so the event loop never waits on a disk or on openpyxl.

A file that cannot be read (a truncated or non-zip workbook, a CSV in another encoding,
a disk error) is one line of the error list, naming the file and the reason; never a
traceback, and nothing is imported.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

from domain.roster import (
    COLUMNS,
    RawTable,
    RosterImportError,
    RowError,
    canonical_table,
    cell_text,
    map_headers,
)
from domain.roster_text import ACCEPTED_ENCODINGS, UnreadableText, decode_roster_csv

NOT_A_WORKBOOK = (
    "not an Excel workbook (.xlsx is a zip archive; this file is truncated, damaged or "
    "another format renamed): save it again from Excel as .xlsx, or as CSV in "
    f"{ACCEPTED_ENCODINGS}"
)


class _Unreadable(Exception):
    """A file stopped being readable part-way (a damaged sheet, a broken CSV line)."""

    def __init__(self, row: int, reason: str) -> None:
        super().__init__(reason)
        self.row = row
        self.reason = reason


def decode_csv_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 as Excel on Chinese Windows saves it;
    anything else raises UnreadableText (domain/roster_text.py says how it is told)."""
    return decode_roster_csv(data)


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


def _csv_rows(reader: Any) -> Iterator[list[str]]:
    """The reader's rows; a line the csv module cannot parse becomes _Unreadable."""
    while True:
        try:
            row: list[str] = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _Unreadable(reader.line_num, f"not a readable CSV line: {error}") from error
        yield row


def _read_csv(path: Path, table: str, errors: list[RowError]) -> RawTable | None:
    """One table from one CSV file; an unreadable file is one error naming it."""
    try:
        text = decode_csv_bytes(path.read_bytes())
        reader = csv.reader(io.StringIO(text, newline=""))
        return _table_from_rows(table, path.name, _csv_rows(reader), errors)
    except UnreadableText as error:
        errors.append(RowError(path.name, 0, "", str(error)))
    except OSError as error:
        errors.append(RowError(path.name, 0, "", _cannot_read(error)))
    except _Unreadable as error:
        errors.append(RowError(path.name, error.row, "", error.reason))
    return None


def _sheet_rows(rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    """A sheet's rows; any failure inside openpyxl (a damaged part of the zip, broken XML)
    becomes _Unreadable: a corrupt file can raise almost anything from deep inside it."""
    iterator = iter(rows)
    number = 0
    while True:
        try:
            row = next(iterator)
        except StopIteration:
            return
        except Exception as error:
            raise _Unreadable(number + 1, f"damaged workbook: {_why(error)}") from error
        number += 1
        yield row


def _cannot_read(error: OSError) -> str:
    return f"cannot read the file: {error.strerror or error}"


def _why(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _read_xlsx(path: Path, errors: list[RowError]) -> tuple[list[RawTable], list[str]]:
    """Every known sheet; an unreadable workbook is one error naming the file (or sheet)."""
    import openpyxl

    tables: list[RawTable] = []
    skipped: list[str] = []
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except BadZipFile:
        errors.append(RowError(path.name, 0, "", NOT_A_WORKBOOK))
        return [], []
    except OSError as error:
        errors.append(RowError(path.name, 0, "", _cannot_read(error)))
        return [], []
    except Exception as error:  # openpyxl's many ways to fail on a corrupt file
        errors.append(RowError(path.name, 0, "", f"damaged workbook: {_why(error)}"))
        return [], []
    try:
        for sheet in workbook.worksheets:
            table = canonical_table(sheet.title)
            if table is None:
                skipped.append(f"sheet {sheet.title}")
                continue
            source = f"sheet {sheet.title}"
            try:
                raw = _table_from_rows(
                    table, source, _sheet_rows(sheet.iter_rows(values_only=True)), errors
                )
            except _Unreadable as error:
                errors.append(RowError(f"{path.name}, {source}", error.row, "", error.reason))
                continue
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
    if not path.exists():
        raise RosterImportError([RowError(str(path), 0, "", "no such file or folder")])
    if path.is_dir():
        try:
            files = sorted(path.iterdir())
        except OSError as error:
            raise RosterImportError([RowError(str(path), 0, "", _cannot_read(error))]) from None
        for file in files:
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
        tables, skipped = _read_xlsx(path, errors)
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
