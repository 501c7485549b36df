"""The PostgreSQL server the tests make their throw-away databases on (integration and e2e)."""

from __future__ import annotations

import os

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import make_engine

# Override to test against another server, e.g. in CI.
PG_ADMIN_URL = os.environ.get(
    "CADREBOT_TEST_PG_ADMIN_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


async def pg_admin(statement: str) -> None:
    """Run one statement outside a transaction, as CREATE and DROP DATABASE need."""
    engine = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def database_url(name: str) -> str:
    """The URL of database `name` on the admin URL's server, with its password."""
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
