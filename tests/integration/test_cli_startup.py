"""The CLI starts light and quiet: each command loads only what it uses, in a fresh
interpreter, and a schema already at head costs one query, not Alembic."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import main
from storage.db import make_engine
from storage.migrate import alembic_config, script_heads, upgrade_if_behind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "roster"
HEAVY = ("aiogram", "matplotlib", "openpyxl", "reportlab", "alembic")
PROBE = """
import json, sys
from bot.cli import main
code = main(json.loads(sys.argv[1]))
loaded = [name for name in json.loads(sys.argv[2]) if name in sys.modules]
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo county with this year's plan, built once for the module."""
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.sqlite3"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.delenv("BOT_TOKEN", raising=False)
        patch.setenv("DATABASE_URL", f"sqlite:///{path}")
        assert main(["demo", "--size", "small"]) == 0
        assert main(["plan", "load"]) == 0
    return path


def cadrebot(folder: Path, database: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """`main(argv)` in a fresh interpreter (no .env in `folder`); stderr ends with the probe."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CADREBOT_")}
    env.pop("BOT_TOKEN", None)
    env["DATABASE_URL"] = f"sqlite:///{database}"
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv), json.dumps(HEAVY)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def probe(result: subprocess.CompletedProcess[str]) -> tuple[int, list[str], str]:
    """(exit code, heavy modules loaded, stderr before the probe line)."""
    *lines, last = result.stderr.rstrip("\n").split("\n")
    found = json.loads(last)
    return found["code"], found["loaded"], "\n".join(lines)


@pytest.mark.parametrize(
    ("argv", "allowed"),
    [
        (["report", "compliance", "--format", "json"], ()),
        (["report", "orphans", "--format", "csv"], ()),
        (["report", "schooling", "--format", "json"], ()),
        (["report", "audit", "--format", "text"], ()),
        (["report", "audit", "--format", "csv", "--since", "2026-01-01"], ()),
        (["import", str(EXAMPLES)], ()),
        (["plan", "load", "--year", "2026"], ()),
        (["demo", "--size", "small"], ()),
        (["invite", "C0001", "--bot-username", "yaoan_cadre_bot"], ()),
        (["reminders", "status"], ()),
        (["doctor"], ()),
        (["report", "dropouts", "--format", "xlsx"], ("openpyxl",)),
    ],
    ids=lambda value: " ".join(value[:2]) if isinstance(value, list) else None,
)
def test_a_command_loads_only_what_it_uses(
    tmp_path: Path, demo_file: Path, argv: list[str], allowed: tuple[str, ...]
) -> None:
    database = tmp_path / "copy.sqlite3"
    shutil.copy(demo_file, database)
    code, loaded, _ = probe(cadrebot(tmp_path, database, argv))
    assert code in (0, 1)  # dropouts: 1 when the demo has no school-age children
    assert [name for name in loaded if name not in allowed] == []


def test_quiet_by_default_and_verbose_shows_migrations_and_sql(tmp_path: Path) -> None:
    quiet = cadrebot(tmp_path, tmp_path / "quiet.sqlite3", ["db", "upgrade"])
    code, loaded, stderr = probe(quiet)
    head = ", ".join(sorted(script_heads()))
    assert (code, quiet.stdout) == (0, f"schema created at {head}\n")
    assert stderr == ""  # a fresh file was migrated, silently
    assert "alembic" in loaded  # it really ran the migrations

    verbose = cadrebot(tmp_path, tmp_path / "verbose.sqlite3", ["db", "upgrade", "--verbose"])
    code, _, stderr = probe(verbose)
    assert code == 0
    assert "INFO alembic.runtime.migration: Running upgrade 0004 -> 0005" in stderr
    assert "INFO storage.sql:" in stderr and "alembic_version" in stderr

    again = cadrebot(tmp_path, tmp_path / "verbose.sqlite3", ["--verbose", "db", "upgrade"])
    code, loaded, stderr = probe(again)
    assert code == 0 and "alembic" not in loaded  # at head: one query, no Alembic
    assert again.stdout == f"schema is up to date ({head})\n"
    assert "SELECT version_num FROM alembic_version" in stderr
    assert "Running upgrade" not in stderr


def test_errors_still_reach_stderr(tmp_path: Path) -> None:
    result = cadrebot(tmp_path, tmp_path / "e.sqlite3", ["report", "compliance", "--period", "x"])
    code, _, stderr = probe(result)
    assert code == 1 and "refused: \u201cx\u201d is not a quarter." in stderr


def test_help_lists_every_command_with_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in (
        "run",
        "db",
        "import",
        "reassign",
        "plan",
        "demo",
        "invite",
        "qr",
        "report",
        "reminders",
        "scheduler",
    ):
        line = next(line for line in out.splitlines() if line.strip().startswith(command + " "))
        assert len(line.split(maxsplit=1)) == 2, line  # the command, then its help


def test_script_heads_agree_with_alembic() -> None:
    from alembic.script import ScriptDirectory

    alembic_heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert script_heads() == frozenset(alembic_heads)


async def _stamped(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
        return list(rows.scalars())


async def test_upgrade_if_behind_upgrades_only_when_behind(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'behind.sqlite3'}"
    engine = make_engine(url)
    try:
        assert await upgrade_if_behind(engine) is True  # empty file: the whole schema
        assert await _stamped(engine) == sorted(script_heads())
        assert await upgrade_if_behind(engine) is False
        async with engine.begin() as connection:  # as if the last migrations had not run
            await connection.execute(text("UPDATE alembic_version SET version_num = '0004'"))
            await connection.execute(text("DROP TABLE plan_settings"))
            await connection.execute(text("DROP TABLE processed_updates"))  # 0006
            await connection.execute(text("DROP TABLE export_audit"))  # 0008
        assert await upgrade_if_behind(engine) is True
        assert await _stamped(engine) == sorted(script_heads())
    finally:
        await engine.dispose()


async def test_a_migrated_database_is_current_on_every_backend(engine: AsyncEngine) -> None:
    assert await upgrade_if_behind(engine) is False
