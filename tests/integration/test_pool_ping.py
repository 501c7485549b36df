"""The PostgreSQL pool (issue 12, throughput): enough kept connections for the poller's
parallel chats, and a dropped connection replaced on checkout in one round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from storage.db import connections_at_once, make_engine, make_sessionmaker
from tests.postgres import pg_admin


async def test_pool_keeps_a_connection_per_parallel_chat(engine: AsyncEngine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps one connection on purpose")
    assert engine.pool.size() >= 9  # type: ignore[attr-defined]  # 8 chats and the sender


async def test_dropped_connection_is_replaced_with_one_statement(engine: AsyncEngine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    async with engine.connect() as connection:
        pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    await pg_admin(f"SELECT pg_terminate_backend({pid})")
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    async with engine.connect() as connection:  # the pooled one is dead: replaced, no error
        new_pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    assert new_pid != pid
    assert statements == ["SELECT pg_backend_pid()"]  # the ping is no SQLAlchemy statement
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1


async def test_pool_size_is_a_setting_and_sqlite_keeps_one(tmp_path: Path) -> None:
    """CADREBOT_DB_POOL_SIZE sizes PostgreSQL's pool (every county of a process shares it);
    SQLite keeps its one connection whatever it says, and a preview reads one rule at a time
    there (storage.db.connections_at_once)."""
    postgres = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    sqlite = f"sqlite+aiosqlite:///{tmp_path}/pool.sqlite3"
    sized = Settings(DATABASE_URL=postgres, CADREBOT_DB_POOL_SIZE=25)  # type: ignore[call-arg]
    assert sized.engine_options() == {"pool_size": 25}
    assert Settings(DATABASE_URL=postgres).engine_options() == {}  # type: ignore[call-arg]
    on_sqlite = Settings(DATABASE_URL=sqlite, CADREBOT_DB_POOL_SIZE=25)  # type: ignore[call-arg]
    assert on_sqlite.engine_options() == {}
    with pytest.raises(ValidationError, match="CADREBOT_DB_POOL_SIZE"):
        Settings(DATABASE_URL=postgres, CADREBOT_DB_POOL_SIZE=0)  # type: ignore[call-arg]
    for url, options, expected in [
        (postgres, sized.engine_options(), 25),
        (postgres, {}, 10),
        (sqlite, on_sqlite.engine_options(), 1),
    ]:
        engine = make_engine(url, **options)  # no connection is opened
        try:
            assert connections_at_once(make_sessionmaker(engine)) == expected
        finally:
            await engine.dispose()
