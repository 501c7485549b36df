"""Schema upgrades through Alembic; a cheap check first, so a current schema costs one query.

Alembic (and its plugins, logging and script machinery) is imported only when the database
is behind its migration scripts: most commands start against a schema already at head.
"""

from __future__ import annotations

import ast
import asyncio
import logging
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
VERSION_TABLE = "alembic_version"
# `revision: str = '0005'` (annotated or not) at the start of a line; the value is a literal.
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+?)\s*$", re.MULTILINE)


def alembic_config(database_url: str, schema: str | None = None) -> Config:
    """Alembic's config for our scripts and this database, without an alembic.ini; with
    `schema`, for one county's schema (storage.tenancy)."""
    from alembic.config import Config

    config = Config()
    config.attributes["tenant_schema"] = schema
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_sync(database_url: str, revision: str = "head", schema: str | None = None) -> None:
    """Alembic's full upgrade, blocking: for threads and test fixtures."""
    from alembic import command

    command.upgrade(alembic_config(database_url, schema), revision)


async def upgrade(database_url: str, revision: str = "head", schema: str | None = None) -> None:
    """Bring the schema to `revision`; Alembic runs its own loop, so it gets a thread."""
    await asyncio.to_thread(upgrade_sync, database_url, revision, schema)


async def upgrade_if_behind(engine: AsyncEngine, schema: str | None = None) -> bool:
    """Upgrade to head unless the database (or the county's `schema`) is already stamped
    there; True if it upgraded."""
    heads = await asyncio.to_thread(script_heads)
    stamped = await stamped_revisions(engine, schema)
    if heads and stamped == heads:
        return False
    where = f"schema {schema}" if schema else "database"
    logger.info("%s at %r, scripts at %r: upgrading", where, sorted(stamped), sorted(heads))
    await upgrade(engine.url.render_as_string(hide_password=False), schema=schema)
    return True


async def stamped_revisions(engine: AsyncEngine, schema: str | None = None) -> frozenset[str]:
    """The revisions the database (or a county's schema) is stamped with; empty without."""
    async with engine.connect() as connection:
        return await connection.run_sync(stamped_in, schema)


def stamped_in(connection: Connection, schema: str | None = None) -> frozenset[str]:
    if not inspect(connection).has_table(VERSION_TABLE, schema=schema):
        return frozenset()
    table = f'"{schema}".{VERSION_TABLE}' if schema else VERSION_TABLE
    rows = connection.execute(text(f"SELECT version_num FROM {table}"))  # noqa: S608 - ours
    return frozenset(rows.scalars())


@cache
def script_heads() -> frozenset[str]:
    """Revisions no script builds on, read from the scripts' own `revision` assignments.

    Empty when a script cannot be read this way: the caller then lets Alembic decide."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in VERSIONS_DIR.glob("*.py"):
        found = dict(_ASSIGNMENT.findall(script.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            return frozenset()
        if not isinstance(revision, str):
            return frozenset()
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else down or ())
    return frozenset(revisions - parents)
