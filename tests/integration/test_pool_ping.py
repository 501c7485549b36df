"""The PostgreSQL pool (issue 12, throughput): enough kept connections for the poller's
parallel chats, and a dropped connection replaced on checkout in one round trip."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

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
