"""Every bad roster file gets the error list, exit 2 and no traceback; nothing is written.

Each case first imports the example roster, then offers a file that would change it (a new
township T09) in a form that must be refused: a truncated or non-zip workbook, a damaged
sheet, a CSV in UTF-16, Latin-1, Big5 or Shift-JIS, a NUL in a cell.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from storage.db import open_database
from storage.models import Base, Township
from tests.integration.test_cli import EXAMPLES, database, run

__all__ = ["database"]  # the CLI's temporary database fixture, shared with test_cli

ENCODINGS = "accepted encodings: UTF-8 (with or without BOM) or GB18030"
TOWNSHIPS = "编码,名称\r\nT09,Café 棟川鎮\r\n"  # what each bad CSV would have added


def _workbook_bytes() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "乡镇"
    sheet.append(["编码", "名称"])
    sheet.append(["T09", "新乡"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _damaged_sheet() -> bytes:
    """A sound zip whose sheet XML is cut off: openpyxl fails only while reading rows."""
    source = zipfile.ZipFile(io.BytesIO(_workbook_bytes()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, data[: len(data) // 2] if "worksheets/" in name else data)
    return buffer.getvalue()


def _file(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return make


def _in_folder(name: str, data: bytes) -> Callable[[Path], Path]:
    """A roster folder with a good villages.csv beside the bad file."""

    def make(folder: Path) -> Path:
        roster = folder / "roster"
        roster.mkdir()
        (roster / name).write_bytes(data)
        (roster / "villages.csv").write_text("code,name,township_code\nV0901,新村,T06\n")
        return roster

    return make


CASES: dict[str, tuple[Callable[[Path], Path], str, list[str]]] = {
    "truncated xlsx": (
        _file("roster.xlsx", _workbook_bytes()[:900]),
        "roster.xlsx: not an Excel workbook",
        ["truncated, damaged or another format", ENCODINGS.split(": ")[1]],
    ),
    "xlsx that is text": (
        _file("roster.xlsx", TOWNSHIPS.encode()),
        "roster.xlsx: not an Excel workbook",
        [],
    ),
    "xlsx of random bytes": (
        _file("roster.xlsx", b"PK\x03\x04" + bytes(range(256)) * 4),
        "roster.xlsx: not an Excel workbook",
        [],
    ),
    "damaged sheet": (
        _file("roster.xlsx", _damaged_sheet()),
        "roster.xlsx, sheet 乡镇, row 1: damaged workbook: ParseError",
        [],
    ),
    "utf-16 csv": (
        _in_folder("乡镇.csv", TOWNSHIPS.encode("utf-16")),
        "乡镇.csv: cannot read the file as text: the file is UTF-16 text",
        [ENCODINGS],
    ),
    "utf-16 csv without BOM": (
        _in_folder("乡镇.csv", TOWNSHIPS.encode("utf-16-le")),
        "乡镇.csv: cannot read the file as text: the file is not text",
        [ENCODINGS],
    ),
    "latin-1 csv": (
        _file("townships.csv", "code,name\r\nT09,Hélène\r\n".encode("latin-1")),
        "townships.csv: cannot read the file as text: not UTF-8, and read as GB18030 2 of its "
        "2 Chinese characters are rare ones outside GB2312",
        [ENCODINGS, "Latin-1"],
    ),
    "latin-1 csv, not GB18030 either": (
        _file("townships.csv", "code,name\r\nT09,José Müller\r\n".encode("latin-1")),
        "townships.csv: cannot read the file as text: neither UTF-8 nor GB18030: byte 0xE9",
        [ENCODINGS],
    ),
    "big5 csv": (
        _in_folder("乡镇.csv", "編碼,名稱\r\nT09,棟川鎮\r\n".encode("big5")),
        "乡镇.csv: cannot read the file as text: not UTF-8, and read as GB18030 it holds "
        "characters a Chinese roster does not",
        [ENCODINGS, "Big5"],
    ),
    "shift-jis csv": (
        _file("townships.csv", "code,name\r\nT09,東京都\r\n".encode("shift_jis")),
        "townships.csv: cannot read the file as text: not UTF-8, and read as GB18030 3 of its "
        "3 Chinese characters are rare ones outside GB2312 (搶 U+6436",
        [ENCODINGS, "Shift-JIS"],
    ),
    "NUL in a cell": (
        _in_folder("乡镇.csv", "编码,名称\r\nT09,栋川\x00镇\r\n".encode()),
        "乡镇.csv, row 2, column 名称: control character U+0000 in the cell",
        [],
    ),
    "escape character in a cell": (
        _file("townships.csv", b"code,name\nT09,\x1b[31mred\n"),
        "townships.csv, row 2, column name: control character U+001B in the cell",
        [],
    ),
    "a line too long for a CSV field": (
        _file("townships.csv", b'code,name\nT09,"' + b"x" * 200_000 + b'"\n'),
        "townships.csv, row 2: not a readable CSV line: field larger than field limit",
        [],
    ),
    "no such file": (
        lambda folder: folder / "missing.csv",
        "/missing.csv: no such file or folder",
        [],
    ),
}


async def _snapshot(url: str) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Every roster table's row count and the townships, to show nothing changed."""
    async with open_database(url) as sessionmaker, sessionmaker() as session:
        counts = {
            name: int((await session.scalar(select(func.count()).select_from(table))) or 0)
            for name, table in Base.metadata.tables.items()
        }
        rows = await session.execute(select(Township.code, Township.name).order_by(Township.code))
        townships = [(code, name) for code, name in rows]
    return counts, townships


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_gets_the_error_list(
    case: str, database: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    make, first, more = CASES[case]
    assert run(capsys, "import", str(EXAMPLES))[0] == 0
    before = asyncio.run(_snapshot(database))

    code, out, err = run(capsys, "import", str(make(tmp_path)))

    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[-1].endswith("; nothing was imported")
    assert "problem(s)" not in lines[-1]
    assert first in err, err
    for words in more:
        assert words in err
    assert asyncio.run(_snapshot(database)) == before


def test_a_rare_character_in_a_real_gb18030_roster_is_accepted(
    database: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """喆 is outside GB2312; one of many characters, the file is still read as GB18030."""
    (tmp_path / "townships.csv").write_bytes(
        "编码,名称\r\nT09,王喆乡大河口村\r\n".encode("gb18030")
    )
    code, _, err = run(capsys, "import", str(tmp_path / "townships.csv"))
    assert code == 0, err
    assert ("T09", "王喆乡大河口村") in asyncio.run(_snapshot(database))[1]
