"""The export audit from the command line: each report writes exactly one row (the machine's
user, what, scope, period, format, rows, files) in the database it read, `report audit`
lists them in the plan's zone (and is itself recorded), a refused command writes none.

On SQLite and on a PostgreSQL database of its own; then a deployment of counties: a
county's reports land in its own schema, a region's report in each county it read."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.cli import main
from domain.clock import SystemClock, local_today
from storage.db import make_engine
from storage.token_vault import new_key
from tests.integration.test_cli import SHANGHAI, run
from tests.postgres import database_url, pg_admin

OPERATOR = "auditor"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A demo county with a quarter of activity, on a SQLite file or a fresh PostgreSQL
    database; the commands run as the machine's user `auditor`."""
    monkeypatch.chdir(tmp_path)
    for name in ("BOT_TOKEN", "CADREBOT_TIMEZONE", "CADREBOT_LOCALE", "SUDO_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOGNAME", OPERATOR)  # getpass.getuser() reads it first
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'audit.sqlite3'}"
        name = None
    else:
        name = f"cadrebot_test_audit_{secrets.token_hex(4)}"
        try:
            asyncio.run(asyncio.wait_for(pg_admin(f'CREATE DATABASE "{name}"'), timeout=10))
        except Exception as error:  # noqa: BLE001 - no server: skipped, with the reason
            pytest.skip(f"PostgreSQL unreachable: {error!r}")
        url = database_url(name)
    monkeypatch.setenv("DATABASE_URL", url)
    try:
        assert main(["demo", "--activity"]) == 0
        assert main(["plan", "load"]) == 0
        yield url
    finally:
        if name is not None:
            asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _audit(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, "report", "audit", "--format", "json", *argv)
    assert code == 0, err
    return dict(json.loads(out))


def _exports(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The rows so far, as `report audit` lists them (its own row is added after)."""
    return list(_audit(capsys)["exports"])


def test_each_report_writes_one_row_and_report_audit_lists_them(
    database: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    started = datetime.now(UTC).replace(microsecond=0)
    expected: list[tuple[object, ...]] = []

    def one_more(what: str, fmt: str, rows: int, period: Any, files: Any = None) -> None:
        """The report just run added exactly this row (after the listings before it)."""
        expected.append(("cli", OPERATOR, None, what, "county", period, fmt, rows, files))
        found = _exports(capsys)
        reports = [r for r in found if r["what"] != "audit"]
        assert [
            (
                r["channel"],
                r["actor"],
                r["actor_telegram_id"],
                r["what"],
                r["scope"],
                r["period"],
                r["format"],
                r["rows"],
                r["file_name"],
            )
            for r in reports
        ] == expected
        listings = [r for r in found if r["what"] == "audit"]
        assert len(listings) == len(expected) - 1  # each earlier listing: one row

    code, out, _ = run(capsys, "report", "compliance", "--format", "csv")
    assert code == 0
    period = out.splitlines()[1].split(",")[0]
    one_more("compliance", "csv", len(out.splitlines()) - 1, period)

    code, out, _ = run(capsys, "report", "far-visits", "--format", "json")
    assert code == 0
    one_more("far-visits", "json", json.loads(out)["count"], period)

    code, out, _ = run(capsys, "report", "orphans", "--format", "json")
    assert code == 0
    one_more("orphans", "json", json.loads(out)["count"], None)

    code, out, _ = run(capsys, "report", "schooling", "--format", "json")
    assert code == 0
    schooling = json.loads(out)
    year = str(schooling["school_year"])
    one_more("schooling", "json", len(schooling["rates"]), year)

    code, out, _ = run(capsys, "report", "dropouts", "--format", "xlsx", "--output-dir", "lists")
    assert code == 0
    workbooks = sorted((tmp_path / "lists").glob("*.xlsx"))
    children = sum(load_workbook(path)["适龄儿童"].max_row - 1 for path in workbooks)
    assert workbooks and children > 0
    one_more("dropouts", "xlsx", children, year, ", ".join(str(p) for p in workbooks))

    code, _, _ = run(capsys, "report", "notice", "--output-dir", "notice")
    assert code == 0
    [xlsx] = (tmp_path / "notice").glob("*.xlsx")
    [png] = (tmp_path / "notice").glob("*.png")
    ranked = load_workbook(xlsx).worksheets[0].max_row - 1
    month = xlsx.stem.removeprefix("notice-")
    one_more("notice", "xlsx+png", ranked, month, f"{xlsx}, {png}")

    code, out, _ = run(capsys, "qr", "--bot-username", "yaoan_cadre_bot", "--output", "d.pdf")
    assert code == 0
    cards = int(out.split(": ")[1].split()[0])  # "d.pdf: 60 door codes"
    one_more("door-codes", "pdf", cards, None, str(tmp_path / "d.pdf"))

    # Refused or mistaken commands export nothing and record nothing.
    assert run(capsys, "report", "compliance", "--period", "2026-Q9")[0] == 1
    assert run(capsys, "report", "dropouts", "--format", "csv")[0] == 2
    assert run(capsys, "report", "audit", "--format", "xlsx")[0] == 2
    assert run(capsys, "report", "audit", "--since", "2026-02-30")[0] == 1

    listing = _audit(capsys)
    found = listing["exports"]
    assert len(found) == 2 * len(expected)  # the reports, and a listing after each
    assert listing["timezone"] == "Asia/Shanghai"
    today = local_today(SystemClock(), SHANGHAI)
    for row in found:  # in the plan's zone, with its offset; taken from the injected clock
        at = datetime.fromisoformat(row["exported_at"])
        assert at.utcoffset() is not None and at.utcoffset().total_seconds() == 8 * 3600
        assert started <= at <= datetime.now(UTC)
    last = found[-1]  # the listing before this one, with what it covered
    assert (last["what"], last["format"], last["rows"]) == ("audit", "json", len(found) - 1)
    assert last["period"] == f"{listing['since']}/{today}"

    # --since a later day than today: nothing; the text and CSV forms list the same rows.
    tomorrow = today.replace(year=today.year + 1)
    assert _audit(capsys, "--since", tomorrow.isoformat())["count"] == 0
    code, out, _ = run(capsys, "report", "audit", "--format", "text")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].endswith(f"exports since {listing['since']} (Asia/Shanghai)")
    assert any(f"cli   {OPERATOR}  dropouts county {year}  xlsx" in line for line in lines)
    code, out, _ = run(capsys, "report", "audit", "--format", "csv", "--since", str(today))
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    # Since `found` was listed: that listing, the one --since tomorrow, the text one.
    assert [r["what"] for r in table] == [r["what"] for r in found] + ["audit"] * 3


def test_audit_csv_runs_no_formula(
    database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An OS user or a file named like a formula is text in the CSV (domain/spreadsheet.py)."""
    hostile = '=HYPERLINK("http://x","y")'
    monkeypatch.setenv("LOGNAME", hostile)
    assert run(capsys, "report", "schooling", "--format", "csv", "--output", "@SUM(1).csv")[0] == 0
    code, out, _ = run(capsys, "report", "audit", "--format", "csv")
    assert code == 0
    [row] = list(csv.reader(io.StringIO(out)))[1:]  # a listing never shows itself
    assert row[3] == "'" + hostile
    assert row[5] == "schooling" and row[10].endswith("@SUM(1).csv")
    assert not any(field.startswith(("=", "+", "-", "@")) for field in row)


# ---- a deployment of counties (PostgreSQL) ---------------------------------------------

COUNTIES = {
    "auda": ("甲县", "云南省/昭通市", "555101:audit-a"),
    "audb": ("乙县", "云南省/昭通市", "555102:audit-b"),
}


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Two counties of one region, the first with a demo roster."""
    name = f"cadrebot_test_audit_counties_{secrets.token_hex(4)}"
    try:
        asyncio.run(asyncio.wait_for(pg_admin(f'CREATE DATABASE "{name}"'), timeout=10))
    except Exception as error:  # noqa: BLE001 - no server: skipped, with the reason
        pytest.skip(f"PostgreSQL unreachable: {error!r}")
    monkeypatch.chdir(tmp_path)
    for variable in ("BOT_TOKEN", "CADREBOT_TIMEZONE", "CADREBOT_LOCALE", "SUDO_USER"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LOGNAME", OPERATOR)
    url = database_url(name)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CADREBOT_TOKEN_KEYS", new_key())  # the tokens stored encrypted
    try:
        for slug, (county, region, token) in COUNTIES.items():
            token_file = tmp_path / f"{slug}.token"
            token_file.write_text(token, encoding="utf-8")
            argv = ["tenant", "add", slug, "--name", county, "--region", region]
            assert main([*argv, "--token-file", str(token_file)]) == 0
        assert main(["--tenant", "auda", "demo"]) == 0
        yield url
    finally:
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _county_audit(capsys: pytest.CaptureFixture[str], slug: str) -> list[dict[str, Any]]:
    code, out, err = run(capsys, "--tenant", slug, "report", "audit", "--format", "json")
    assert code == 0, err
    return [row for row in json.loads(out)["exports"] if row["what"] != "audit"]


async def _change_in(url: str, schema: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f'UPDATE "{schema}".export_audit SET rows = 0'))
    finally:
        await engine.dispose()


def test_each_county_records_its_own_exports_and_a_region_s_in_each(
    deployment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--tenant", "auda", "report", "orphans", "--format", "csv")
    assert code == 0
    [row] = _county_audit(capsys, "auda")
    assert (row["what"], row["actor"], row["rows"]) == (
        "orphans",
        OPERATOR,
        len(out.splitlines()) - 1,
    )
    assert _county_audit(capsys, "audb") == []  # the other county's schema: nothing

    # Without --tenant a deployment of counties names no audit to read: refused.
    code, _, err = run(capsys, "report", "audit")
    assert code == 1 and "--tenant COUNTY" in err

    code, out, err = run(
        capsys, "report", "compliance", "--region", "云南省/昭通市", "--format", "csv"
    )
    assert code == 0, err
    lines = len(out.splitlines()) - 1  # the region, each county
    for slug in COUNTIES:
        regional = [r for r in _county_audit(capsys, slug) if r["what"] == "regional-compliance"]
        assert [(r["scope"], r["format"], r["rows"], r["actor"]) for r in regional] == [
            ("云南省/昭通市", "csv", lines, OPERATOR)
        ]

    # Each county's schema has its own trigger: its rows cannot be changed either.
    with pytest.raises(IntegrityError, match="insert only"):
        asyncio.run(_change_in(deployment, "county_audb"))
