"""The sandbox from the command line: `cadrebot sandbox reset` deletes only the sandbox's own
files, and a busy sandbox port is one line naming CADREBOT_SANDBOX_PORT, not a traceback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.integration.test_cli_startup import cadrebot, probe


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory with no .env, no BOT_TOKEN and no CADREBOT_* settings."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.delenv("CADREBOT_EVIDENCE_DIR", raising=False)
    monkeypatch.delenv("CADREBOT_SANDBOX_PORT", raising=False)
    (tmp_path / "data").mkdir()
    yield tmp_path


def _sandbox_files(folder: Path) -> list[Path]:
    data = folder / "data"
    photo = data / "sandbox-evidence" / "2026" / "11" / "visit.jpg"
    photo.parent.mkdir(parents=True)
    files = [data / "sandbox.sqlite3", data / "sandbox.sqlite3-wal", photo]
    for path in files:
        path.write_bytes(b"sandbox")
    return files


def test_reset_deletes_the_sandbox_files_and_never_the_deployments(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    own = folder / "data" / "cadrebot.sqlite3"
    own.write_bytes(b"the deployment's database")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{own}")
    files = _sandbox_files(folder)
    assert main(["sandbox", "reset"]) == 0
    assert [path.exists() for path in files] == [False, False, False]
    assert not (folder / "data" / "sandbox-evidence").exists()
    assert own.read_bytes() == b"the deployment's database"
    assert "data/sandbox.sqlite3" in capsys.readouterr().out
    # Again: nothing left to delete, still fine.
    assert main(["sandbox", "reset"]) == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_reset_never_opens_database_url(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not even to create or upgrade it: a missing file stays missing, a dead server is fine."""
    missing = folder / "data" / "cadrebot.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{missing}")
    _sandbox_files(folder)
    assert main(["sandbox", "reset"]) == 0
    assert not missing.exists()
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing")
    assert main(["sandbox", "reset"]) == 0


def test_reset_refuses_when_database_url_is_the_sandbox_file(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _sandbox_files(folder)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///data/sandbox.sqlite3")
    assert main(["sandbox", "reset"]) == 1
    assert "refused" in capsys.readouterr().err
    assert all(path.exists() for path in files)


def test_a_busy_sandbox_port_is_one_line_naming_the_setting(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("CADREBOT_SANDBOX_PORT", str(port))
        assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert err == f"port {port} is in use; set CADREBOT_SANDBOX_PORT to another port\n"
    assert not (folder / "data" / "sandbox.sqlite3").exists()  # stopped before the demo data


def test_reset_loads_nothing_heavy(tmp_path: Path) -> None:
    """No aiogram, no Alembic: it only deletes files (in a fresh interpreter, to be sure)."""
    database = tmp_path / "never.sqlite3"
    code, loaded, _ = probe(cadrebot(tmp_path, database, ["sandbox", "reset"]))
    assert (code, loaded) == (0, [])
    assert not database.exists()
