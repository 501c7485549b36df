"""The domain package must stay usable from another channel: no aiogram, no SQLAlchemy."""

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
FORBIDDEN = ("aiogram", "sqlalchemy", "alembic", "aiohttp", "storage", "handlers", "services")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_imports_no_framework() -> None:
    files = sorted(DOMAIN.glob("**/*.py"))
    assert len(files) > 5, "the domain package was not found"
    offenders = {
        f"{path.name}: {name}"
        for path in files
        for name in _imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
    }
    assert not offenders, f"domain imports frameworks: {sorted(offenders)}"


def test_the_check_catches_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("from aiogram import Bot\nimport sqlalchemy.orm\n", encoding="utf-8")
    assert {"aiogram", "sqlalchemy.orm"} <= _imported_modules(sample)
