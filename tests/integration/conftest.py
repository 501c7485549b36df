"""Database fixtures: every integration test runs on SQLite and on PostgreSQL.

The schema comes from the Alembic migrations (not create_all), so the tests also prove
the migration. PostgreSQL gets a fresh database per test session, dropped at the end;
its tests are skipped (with the reason) only when the server is unreachable.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade_sync
from tests.postgres import PG_ADMIN_URL, database_url, pg_admin

_PG_SKIP_REASON: list[str] = []


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str | None]:
    """A fresh, migrated PostgreSQL database for the session, or None when unreachable."""
    name = f"cadrebot_test_{secrets.token_hex(4)}"
    try:
        asyncio.run(asyncio.wait_for(pg_admin(f'CREATE DATABASE "{name}"'), timeout=10))
    except Exception as error:  # unreachable server, refused auth, ...
        reason = f"PostgreSQL unreachable at {make_url(PG_ADMIN_URL).render_as_string()}: {error!r}"
        print(f"\n{reason}; the postgresql tests are skipped")
        _PG_SKIP_REASON.append(reason)
        yield None
        return
    url = database_url(name)
    try:
        upgrade_sync(url)
        yield url
    finally:
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(
    request: pytest.FixtureRequest, tmp_path: Path, pg_database_url: str | None
) -> AsyncIterator[AsyncEngine]:
    """A migrated, empty database: a temp SQLite file, or the session's PostgreSQL DB."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"
        await asyncio.to_thread(upgrade_sync, url)
        engine = make_engine(url)
    else:
        if pg_database_url is None:
            pytest.skip(_PG_SKIP_REASON[0] if _PG_SKIP_REASON else "PostgreSQL unreachable")
        engine = make_engine(pg_database_url)
        async with engine.begin() as connection:  # empty it: tests share the database
            names = (
                await connection.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                        " AND tablename <> 'alembic_version'"
                    )
                )
            ).scalars()
            quoted = ", ".join(f'"{n}"' for n in names)
            if quoted:
                await connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)
