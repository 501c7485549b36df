"""No live formula in any export: roster names that look like formulas come out as text.

A roster whose household head is `=HYPERLINK("http://x","y")`, whose cadre is `+1+1` and
whose unit is `@SUM(A1)` is imported through the CLI; then every CSV and every workbook the
CLI writes is read back: CSV fields start with `'`, workbook cells are strings flagged
quote-prefix, and no sheet holds a formula.
"""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from domain.clock import SystemClock
from domain.plan_rules import PlanRules
from services.evidence import Evidence
from services.registration import redeem_invite
from services.visits import VisitRequest, log_household_visit
from storage.db import open_database
from tests.integration.test_cli import EXAMPLES, database, run

__all__ = ["database"]  # the CLI's temporary database fixture, shared with test_cli
SHANGHAI = ZoneInfo("Asia/Shanghai")

HEAD = '=HYPERLINK("http://x","y")'
CADRE = "+1+1"
UNIT = "@SUM(A1)"
TOWNSHIP = "-1+2"
VILLAGE = "=1+1"
ORPHAN_HEAD = "-cmd|' /C calc'!A0"
CHILD = "@child"
SCHOOL = "=school"


def _formula_like(text: str) -> bool:
    """Written here again, not imported: the test must not share the code it checks."""
    if text[:1] not in ("=", "+", "-", "@", "\t", "\r"):
        return False
    try:
        float(text)
    except ValueError:
        return True
    return False


def _hostile_roster(tmp_path: Path) -> Path:
    """The example roster with formula-like names; H0602003 left without a cadre."""
    folder = tmp_path / "hostile"
    shutil.copytree(EXAMPLES, folder)

    def replace(name: str, old: str, new: str) -> None:
        path = folder / name
        text = path.read_text(encoding="utf-8-sig")
        assert old in text
        path.write_text(text.replace(old, new), encoding="utf-8")

    replace("townships.csv", "T06,适中乡", f"T06,{TOWNSHIP}")
    replace("villages.csv", "V0601,大坝村", f"V0601,{VILLAGE}")
    replace("units.csv", "JYG,教育股", f"JYG,{UNIT}")
    replace("cadres.csv", "C0001,李文华", f"C0001,{CADRE}")
    replace("households.csv", "head_name,size,status", "head_name,size,status,latitude,longitude")
    quoted_head = HEAD.replace('"', '""')  # a CSV field with quotes in it
    replace(
        "households.csv",
        "H0601001,V0601,李正荣,4,poor",
        f'H0601001,V0601,"{quoted_head}",4,poor,25.5,101.2',
    )
    replace("households.csv", "H0602003,V0602,张金福", f"H0602003,V0602,{ORPHAN_HEAD}")
    replace(
        "members.csv",
        "李小军,男,2018-03-20,primary,大坝小学",
        f"{CHILD},男,2018-03-20,primary,{SCHOOL}",
    )
    replace("pairings.csv", "C0006,H0602003\n", "")
    return folder


def ok(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run a CLI command that must succeed; its standard output."""
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    return out


async def _far_visit(url: str, invite: str) -> None:
    """C0001 (`+1+1`) visits H0601001 from about 55 km away: a far visit to report."""
    clock = SystemClock()
    async with open_database(url) as sessionmaker:
        async with sessionmaker() as session:
            actor = await redeem_invite(session, 700, invite, clock)
        async with sessionmaker() as session:
            evidence = Evidence(latitude=26.0, longitude=101.2, accuracy_m=10)
            request = VisitRequest(household_code="H0601001", evidence=evidence)
            await log_household_visit(session, actor, request, clock, PlanRules(SHANGHAI))


def _csv_fields(text: str) -> list[str]:
    return [field for row in csv.reader(io.StringIO(text)) for field in row]


def _assert_csv_escaped(text: str, expected: tuple[str, ...]) -> None:
    """Every field that would run as a formula is escaped; the names are there, escaped."""
    fields = _csv_fields(text)
    assert [f for f in fields if _formula_like(f)] == []
    for name in expected:
        assert f"'{name}" in fields, (name, text)


def _assert_workbook_safe(path: Path) -> set[str]:
    """No formula in any sheet (openpyxl's view and the XML itself); returns the texts."""
    with zipfile.ZipFile(path) as archive:
        for part in archive.namelist():
            if part.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(part) and b"<f " not in archive.read(part)
    texts: set[str] = set()
    for sheet in load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.add(cell.value)
                    if _formula_like(cell.value):
                        assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
    return texts


def test_every_export_writes_formula_like_names_as_text(
    database: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ok(capsys, "import", str(_hostile_roster(tmp_path)))
    out = ok(capsys, "invite", "C0001", "--bot-username", "yaoan_cadre_bot")
    invite = next(line for line in out.splitlines() if line.startswith("link:")).rsplit("=", 1)[1]
    asyncio.run(_far_visit(database, invite))

    out = ok(capsys, "report", "compliance", "--format", "csv")
    _assert_csv_escaped(out, (UNIT, CADRE, TOWNSHIP))
    out = ok(capsys, "report", "far-visits", "--format", "csv")
    _assert_csv_escaped(out, (HEAD, CADRE))
    assert out.splitlines()[1].split(",")[0] == "household"
    out = ok(capsys, "report", "orphans", "--format", "csv")
    _assert_csv_escaped(out, (ORPHAN_HEAD,))
    out = ok(capsys, "report", "schooling", "--format", "csv", "--year", "2026")
    _assert_csv_escaped(out, (TOWNSHIP, VILLAGE))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {row["children"] for row in rows} <= {str(n) for n in range(10)}  # numbers unescaped

    ok(capsys, "report", "schooling", "--format", "xlsx", "--year", "2026", "--output", "s.xlsx")
    assert {TOWNSHIP, VILLAGE} <= _assert_workbook_safe(tmp_path / "s.xlsx")
    ok(capsys, "report", "dropouts", "--format", "xlsx", "--year", "2026", "--output-dir", "d")
    texts = _assert_workbook_safe(tmp_path / "d" / "dropout-lists-2026-T06.xlsx")
    assert {HEAD, CHILD, SCHOOL, TOWNSHIP, VILLAGE} <= texts
    ok(capsys, "report", "notice", "--output-dir", "n")
    [notice] = (tmp_path / "n").glob("notice-*.xlsx")
    assert UNIT in _assert_workbook_safe(notice)
    ranking = load_workbook(notice).worksheets[0]
    numbers = [c.value for c in ranking["D"][1:]]  # households paired: still numbers
    assert numbers and all(isinstance(n, int) for n in numbers)
