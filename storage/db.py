"""Engine and session factory, made in main and passed down; never at import time."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_

from storage.migrate import upgrade_if_behind

sql_logger = logging.getLogger("storage.sql")


def make_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    """Create the engine; for SQLite also the data folder, WAL and foreign keys."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # SQLite has one writer at a time; several connections would only queue on its file
        # lock with sleeps in between. One connection, handed from session to session, is
        # faster and never sees "database is locked".
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 60)
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    # At least as many kept connections as the poller's parallel chats (8) plus the sender:
    # with fewer (SQLAlchemy's default is 5) each busy batch opened and closed overflow
    # connections, a connect and a close per update beyond the fifth.
    kwargs.setdefault("pool_size", 10)
    if url.get_driver_name() != "asyncpg":
        return create_async_engine(url, pool_pre_ping=True, **kwargs)
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "checkout", _ping_on_checkout)
    return engine


def _ping_on_checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """A connection taken from the pool is tried first (a dropped one is replaced, up to 3
    times, before the caller sees it): SQLAlchemy's pre-ping does the same, but for asyncpg
    in three round trips (BEGIN, a query, ROLLBACK), as many as the rest of a logged
    visit; `SELECT 1` outside any transaction, by the simple query protocol, is one."""
    try:
        await_(record.driver_connection.execute("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure: take another connection
        raise DisconnectionError(f"pool connection failed its ping ({error!r})") from error


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def connections_at_once(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """How many of its sessions can hold a connection together, none waiting for another:
    one on SQLite (its pool is one connection), the pool's size elsewhere."""
    pool = getattr(sessionmaker.kw.get("bind"), "pool", None)
    size = getattr(pool, "size", None)
    return max(1, int(size())) if callable(size) else 1


@asynccontextmanager
async def open_database(
    database_url: str, *, upgrade: bool = True, time_statements: bool = False, **kwargs: Any
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The one way a command opens the database: schema at head, engine disposed after."""
    engine = make_engine(database_url, **kwargs)
    try:
        if time_statements:
            log_statement_durations(engine)
        if upgrade:
            await upgrade_if_behind(engine)
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


def log_statement_durations(engine: AsyncEngine) -> None:
    """Log each statement with its duration at INFO on `storage.sql` (cadrebot --verbose)."""

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _started(conn: Any, _cursor: Any, _statement: str, *_args: Any) -> None:
        conn.info.setdefault("statement_started", []).append(time.perf_counter())

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _finished(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        elapsed = time.perf_counter() - conn.info["statement_started"].pop()
        sql_logger.info("%.1f ms %s", elapsed * 1000, " ".join(statement.split())[:160])
