"""The layers are a contract: import-linter checks pyproject.toml's contracts on the tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "ui", "handlers", "reminders", "services", "storage", "domain", "fakeapi")


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter in a child process so it finds the packages under `tree` only."""
    return subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports; exit(lint_imports())"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_every_layer_contract_is_kept() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _copy_tree(target: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__")
        )


def test_a_domain_module_importing_aiogram_or_a_handler_breaks_the_contracts(
    tmp_path: Path,
) -> None:
    _copy_tree(tmp_path)
    periods = tmp_path / "domain" / "periods.py"
    periods.write_text(periods.read_text() + "\nimport aiogram  # noqa\nimport handlers  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1
    assert "Domain rules import no framework BROKEN" in result.stdout
    assert "domain.periods -> handlers" in result.stdout


def test_an_import_cycle_inside_a_package_breaks_the_contracts(tmp_path: Path) -> None:
    _copy_tree(tmp_path)
    state = tmp_path / "fakeapi" / "state.py"
    state.write_text(state.read_text() + "\nimport fakeapi.server  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1
    assert "No cycles are allowed in fakeapi" in result.stdout
