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


def _lint_with_an_added_line(tree: Path, module: str, line: str) -> str:
    """Copy the packages, add `line` to `module` (a path under the tree), run the contracts."""
    _copy_tree(tree)
    target = tree / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    result = _lint_imports(tree)
    assert result.returncode == 1, result.stdout
    return result.stdout


def test_a_domain_module_importing_aiogram_or_a_handler_breaks_the_contracts(
    tmp_path: Path,
) -> None:
    out = _lint_with_an_added_line(tmp_path, "domain/periods.py", "import aiogram, handlers")
    assert "Domain rules import no framework BROKEN" in out
    assert "domain.periods -> handlers" in out


def test_an_import_cycle_inside_a_package_breaks_the_contracts(tmp_path: Path) -> None:
    out = _lint_with_an_added_line(tmp_path, "fakeapi/state.py", "import fakeapi.server")
    assert "No cycles are allowed in fakeapi" in out
