"""Backups as docs/deploy.md makes them (deploy/backup.sh) restored as it restores them:
PostgreSQL through pg_dump -Fc and pg_restore, SQLite through its backup API (the sqlite3
tool's .backup and .restore, or Python's). Every table's rows, the sequences, indexes and
triggers come back the same, and the bot's figures from the restored database are equal."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import make_engine
from tests.integration.deployment_data import (
    assert_filled,
    compliance_figures,
    fill_deployment,
    fresh_pg_database,
    table_rows,
)
from tests.integration.test_cli import run

BACKUP_SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "backup.sh"
Digest = dict[str, object]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder: no .env, no BOT_TOKEN."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    return tmp_path


def backup(env: dict[str, str], path: str | None = None) -> Path:
    """Run deploy/backup.sh with these settings; the database backup it wrote."""
    environment = {"PATH": path or os.environ["PATH"], "HOME": str(Path.home()), **env}
    done = subprocess.run(
        ["/bin/sh", str(BACKUP_SCRIPT)],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    written = Path(done.stdout.strip().splitlines()[-1])
    assert written.is_file() and not written.with_name(written.name + ".part").exists()
    return written


# ---- PostgreSQL ---------------------------------------------------------------------------


def test_postgresql_dump_and_restore_round_trip(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tools = [name for name in ("pg_dump", "pg_restore") if shutil.which(name) is None]
    if tools:
        pytest.skip(f"{' and '.join(tools)} not installed (Debian: postgresql-client)")
    with fresh_pg_database("backup") as original, fresh_pg_database("restored") as restored:
        _skip_unless_pg_dump_reads(original)
        fill_deployment(original, monkeypatch)
        assert_filled(table_rows(original))
        kept = workdir / "backups"
        kept.mkdir()
        stale = kept / "cadrebot-20200101T000000Z.dump"  # older than BACKUP_KEEP_DAYS: pruned
        stale.write_bytes(b"old")
        os.utime(stale, (time.time() - 30 * 86400,) * 2)

        dump = backup({"DATABASE_URL": original, "BACKUP_DIR": str(kept)})
        assert dump.name.endswith(".dump") and dump.read_bytes()[:5] == b"PGDMP"
        assert not stale.exists()
        restore = subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_libpq(restored)}"]
            + [str(dump)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert restore.returncode == 0, restore.stderr

        before, after = asyncio.run(_pg_digest(original)), asyncio.run(_pg_digest(restored))
        assert after == before
        tables = before["tables"]
        assert isinstance(tables, dict) and "public.export_audit" in tables
        assert "cadrebot_tenancy.tenants" in tables  # the counties' registry came too
        assert table_rows(restored) == table_rows(original)
        assert compliance_figures(capsys, monkeypatch, restored) == compliance_figures(
            capsys, monkeypatch, original
        )
        # The restored sequences hand out new ids: the bot writes on.
        monkeypatch.setenv("DATABASE_URL", restored)
        assert run(capsys, "invite", "C0008", "--bot-username", "yaoan_cadre_bot")[0] == 0


def _libpq(url: str) -> str:
    """The test's asyncpg URL as pg_dump and pg_restore read it."""
    return re.sub(r"^postgresql\+asyncpg://", "postgresql://", url)


def _skip_unless_pg_dump_reads(url: str) -> None:
    """pg_dump refuses a server newer than itself: say so rather than fail."""
    version = subprocess.run(
        ["pg_dump", "--version"], capture_output=True, text=True, check=True
    ).stdout
    tool = int(re.findall(r"\d+", version)[0])
    server = asyncio.run(_scalar(url, "SHOW server_version_num")) // 10000
    if tool < server:
        pytest.skip(f"pg_dump {tool} cannot dump a PostgreSQL {server} server")


async def _scalar(url: str, statement: str) -> int:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(text(statement)))
    finally:
        await engine.dispose()


async def _pg_digest(url: str) -> Digest:
    """Each table's row count and md5 of its rows (every schema but the system's), each
    sequence's position, the indexes and the triggers (the audit's insert-only rule)."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            names = (
                await connection.execute(
                    text(
                        "SELECT table_schema, table_name FROM information_schema.tables"
                        " WHERE table_type = 'BASE TABLE' AND table_schema NOT IN"
                        " ('pg_catalog', 'information_schema') ORDER BY 1, 2"
                    )
                )
            ).all()
            tables = {}
            for schema, name in names:
                count, md5 = (
                    await connection.execute(
                        text(
                            "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n'"
                            f' ORDER BY t::text), \'\')) FROM "{schema}"."{name}" t'
                        )
                    )
                ).one()
                tables[f"{schema}.{name}"] = (count, md5)
            sequences = (
                await connection.execute(
                    text(
                        "SELECT schemaname, sequencename, last_value FROM pg_sequences"
                        " ORDER BY 1, 2"
                    )
                )
            ).all()
            indexes = (
                await connection.execute(
                    text(
                        "SELECT schemaname, indexname, indexdef FROM pg_indexes WHERE"
                        " schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
                    )
                )
            ).all()
            triggers = (
                await connection.execute(
                    text(
                        "SELECT tgrelid::regclass::text, tgname FROM pg_trigger"
                        " WHERE NOT tgisinternal ORDER BY 1, 2"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    return {
        "tables": tables,
        "sequences": [tuple(row) for row in sequences],
        "indexes": [tuple(row) for row in indexes],
        "triggers": [tuple(row) for row in triggers],
    }


# ---- SQLite -------------------------------------------------------------------------------


def test_sqlite_backup_and_restore_round_trip(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sqlite3 tool's .backup (while another connection holds an unfinished write) and
    .restore; then Python's backup API, as deploy/backup.sh uses where the tool is missing."""
    database = workdir / "cadrebot.sqlite3"
    url = f"sqlite:///{database}"
    fill_deployment(url, monkeypatch)
    assert_filled(table_rows(url))
    evidence = workdir / "evidence"
    (evidence / "2026" / "11").mkdir(parents=True)
    (evidence / "2026" / "11" / "photo-unique-1.jpg").write_bytes(b"\xff\xd8 a photo")
    settings = {
        "DATABASE_URL": url,
        "CADREBOT_EVIDENCE_DIR": str(evidence),
        "BACKUP_DIR": str(workdir / "backups"),
    }
    original = _sqlite_digest(database)

    if shutil.which("sqlite3") is None:
        print("sqlite3 tool not installed: its .backup and .restore are not tried")
    else:
        with closing(sqlite3.connect(database)) as writer:
            writer.execute("BEGIN IMMEDIATE")  # the bot in the middle of a write
            writer.execute("INSERT INTO plan_settings VALUES ('unfinished', '1')")
            copy = backup(settings)
            writer.rollback()
        assert copy.suffix == ".sqlite3"
        restored = workdir / "restored-by-tool.sqlite3"
        subprocess.run(["sqlite3", str(restored), f".restore '{copy}'"], check=True, timeout=60)
        assert _sqlite_digest(restored) == original
    mirrored = workdir / "backups" / "evidence" / "2026" / "11" / "photo-unique-1.jpg"
    assert shutil.which("sqlite3") is None or mirrored.read_bytes() == b"\xff\xd8 a photo"

    # Without the sqlite3 tool: the script falls back to Python's backup API.
    copy = backup(settings, path=str(_tools_without_sqlite3(workdir / "bin")))
    restored = workdir / "restored-by-python.sqlite3"
    with closing(sqlite3.connect(copy)) as source, closing(sqlite3.connect(restored)) as target:
        source.backup(target)
    assert _sqlite_digest(restored) == original
    assert table_rows(f"sqlite:///{restored}") == table_rows(url)
    assert mirrored.read_bytes() == b"\xff\xd8 a photo"
    # Last: the report may write an audit row of its export into the database it reads.
    assert compliance_figures(capsys, monkeypatch, f"sqlite:///{restored}") == (
        compliance_figures(capsys, monkeypatch, url)
    )


def _tools_without_sqlite3(folder: Path) -> Path:
    """A PATH folder with what deploy/backup.sh runs, the sqlite3 tool left out."""
    folder.mkdir()
    for tool in ("date", "mkdir", "mv", "cp", "find", "sed"):
        found = shutil.which(tool)
        assert found is not None, tool
        (folder / tool).symlink_to(found)
    (folder / "python3").symlink_to(Path(sys.executable).resolve())  # not a shell shim
    return folder


def _sqlite_digest(path: Path) -> Digest:
    """Every object's definition (tables, indexes, the audit's triggers) and each table's row
    count and sha256 of its rows, sorted."""
    with closing(sqlite3.connect(path)) as connection:
        schema = connection.execute(
            "SELECT type, name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
        tables = {}
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).fetchall():
            rows = sorted(repr(row) for row in connection.execute(f'SELECT * FROM "{name}"'))
            tables[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return {"schema": schema, "tables": tables}
