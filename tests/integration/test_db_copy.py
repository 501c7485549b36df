"""`cadrebot db copy`: a SQLite deployment moved into a new PostgreSQL database with every
table's rows equal; the ids go on past the copied ones; a refused or failed copy leaves the
target as it was."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.cli import main
from storage.db import make_engine
from storage.migrate import script_heads
from storage.models import Base
from tests.integration.deployment_data import (
    assert_filled,
    compliance_figures,
    fill_deployment,
    fresh_pg_database,
    table_rows,
)
from tests.integration.test_cli import run
from tests.integration.test_cli_startup import cadrebot, probe


@pytest.fixture(scope="module")
def filled_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One filled SQLite deployment for the module (filling it takes seconds)."""
    folder = tmp_path_factory.mktemp("filled")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.delenv("BOT_TOKEN", raising=False)
        fill_deployment(f"sqlite:///{folder / 'county.sqlite3'}", patch)
    return folder / "county.sqlite3"


@pytest.fixture
def sqlite_deployment(filled_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of it of this test's own, in an empty working folder (no .env, no BOT_TOKEN);
    the URL in its plain form, as an operator types it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    copy = tmp_path / "county.sqlite3"
    with sqlite3.connect(filled_file) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    return f"sqlite:///{copy}"


def test_a_sqlite_deployment_moves_to_postgresql(
    sqlite_deployment: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = table_rows(sqlite_deployment)
    assert_filled(before)
    with fresh_pg_database("copy") as target:
        code, out, err = run(capsys, "db", "copy", "--from", sqlite_deployment, "--to", target)
        assert (code, err) == (0, ""), err
        total = sum(len(rows) for rows in before.values())
        assert f"copied {total} rows in {len(before)} tables" in out

        after = table_rows(target)
        for name, rows in before.items():
            assert after[name] == rows, f"{name} differs after the copy"
        assert asyncio.run(_stamped(target)) == set(script_heads())
        assert asyncio.run(_ids_behind_sequences(target)) == []
        # And back (PostgreSQL read in one snapshot): the rows the SQLite file held.
        back = f"sqlite:///{tmp_path / 'back.sqlite3'}"
        assert run(capsys, "db", "copy", "--from", target, "--to", back)[0] == 0
        assert table_rows(back) == before

        # The bot works on the copy: the same figures, and new rows get new ids.
        assert compliance_figures(capsys, monkeypatch, sqlite_deployment) == compliance_figures(
            capsys, monkeypatch, target
        )
        monkeypatch.setenv("DATABASE_URL", target)
        assert run(capsys, "invite", "C0008", "--bot-username", "yaoan_cadre_bot")[0] == 0
        invites = table_rows(target)["invites"]
        assert len(invites) == len(before["invites"]) + 1

        # Once filled, the target refuses a second copy and keeps its rows.
        code, _, err = run(capsys, "db", "copy", "--from", sqlite_deployment, "--to", target)
        assert code == 1 and "refused: the target is not empty" in err
        assert table_rows(target)["invites"] == invites


def test_a_failed_copy_leaves_the_target_empty(
    sqlite_deployment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A value PostgreSQL refuses (SQLite does not check a column's length) in one of the
    last tables: the rows already written to the earlier tables are rolled back too."""
    source_file = sqlite_deployment.split(":///", 1)[1]
    with sqlite3.connect(source_file) as connection:
        connection.execute("UPDATE visit_photos SET file_unique_id = ?", ("x" * 65,))
    with fresh_pg_database("copy_failed") as target:
        code, _, err = run(capsys, "db", "copy", "--from", sqlite_deployment, "--to", target)
        assert code == 1
        assert "refused: the target refused a row of visit_photos" in err
        assert "nothing was written" in err
        rows = table_rows(target)
        assert {name: len(r) for name, r in rows.items() if r} == {}


def test_refusals_name_the_reason_and_write_nothing(
    sqlite_deployment: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Runs on SQLite alone: the checks come before any write on either side."""
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", other)
    assert main(["demo"]) == 0
    held = table_rows(other)

    def refused(source: str, target: str) -> str:
        code, out, err = run(capsys, "db", "copy", "--from", source, "--to", target)
        assert code == 1, out
        assert err.startswith("refused: ")
        return err

    assert "the target is not empty (townships has" in refused(sqlite_deployment, other)
    assert table_rows(other) == held
    assert "same database" in refused(sqlite_deployment, sqlite_deployment)
    assert "postgresql:// or sqlite:///" in refused("mysql://db/x", other)
    new = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    missing = tmp_path / "missing.sqlite3"
    assert f"no SQLite file at {missing}" in refused(f"sqlite:///{missing}", new)
    assert not missing.exists()
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
    assert "no cadrebot schema" in refused(f"sqlite:///{foreign}", new)
    assert not (tmp_path / "new.sqlite3").exists()

    # A source behind this version's migrations is not copied: its rows would not fit.
    behind = tmp_path / "behind.sqlite3"
    with sqlite3.connect(behind) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        connection.execute("INSERT INTO alembic_version VALUES ('0001')")
    err = refused(f"sqlite:///{behind}", new)
    assert "run `cadrebot db upgrade`" in err


def test_the_copy_loads_no_telegram_framework(filled_file: Path, tmp_path: Path) -> None:
    """A database command: aiogram (and the report libraries) stay out of the process."""
    source = tmp_path / "county.sqlite3"
    shutil.copy(filled_file, source)
    target = f"sqlite:///{tmp_path / 'copy.sqlite3'}"
    argv = ["db", "copy", "--from", f"sqlite:///{source}", "--to", target]
    code, loaded, err = probe(cadrebot(tmp_path, source, argv))
    assert code == 0, err
    assert [name for name in loaded if name != "alembic"] == []  # the target's schema


def test_a_sqlite_copy_into_a_new_sqlite_file(
    sqlite_deployment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The other way works too (e.g. a copy to look at offline): the same rows."""
    target = f"sqlite:///{tmp_path / 'copy.sqlite3'}"
    code, _, err = run(capsys, "db", "copy", "--from", sqlite_deployment, "--to", target)
    assert (code, err) == (0, "")
    assert table_rows(target) == table_rows(sqlite_deployment)


async def _stamped(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return set(
                (
                    await connection.execute(text("SELECT version_num FROM alembic_version"))
                ).scalars()
            )
    finally:
        await engine.dispose()


async def _ids_behind_sequences(url: str) -> list[str]:
    """Tables whose id sequence would hand out an id already copied (none, if set right)."""
    engine = make_engine(url)
    behind = []
    try:
        async with engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                column = table.autoincrement_column
                if column is None:
                    continue
                highest = await connection.scalar(
                    text(f'SELECT MAX("{column.name}") FROM "{table.name}"')
                )
                following = await connection.scalar(
                    text("SELECT nextval(pg_get_serial_sequence(:t, :c))"),
                    {"t": table.name, "c": column.name},
                )
                if highest is not None and following <= highest:
                    behind.append(f"{table.name}: next {following}, highest {highest}")
    finally:
        await engine.dispose()
    return behind
