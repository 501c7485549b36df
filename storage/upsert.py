"""One row in, its id back: a plain INSERT, or a dialect-aware INSERT ... ON CONFLICT DO
NOTHING where idempotency lives in a unique key."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql import Executable


@functools.cache
def insert_ignoring(
    model: type[DeclarativeBase], conflict_columns: tuple[str, ...], dialect: str
) -> Executable:
    """Built once per table and dialect: statement construction is costly on a hot path."""
    insert_fn = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert_fn(model)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(model.__table__.c.id)
    )


async def insert_ignore_duplicate(
    session: AsyncSession,
    model: type[DeclarativeBase],
    values: dict[str, Any],
    conflict_columns: Sequence[str],
) -> int | None:
    """Insert one row and return its id, or None when the unique key already holds a row."""
    connection = await session.connection()
    statement = insert_ignoring(model, tuple(conflict_columns), connection.dialect.name)
    result = await connection.execute(statement, values)
    inserted: int | None = result.scalar_one_or_none()
    return inserted


async def insert_row(
    session: AsyncSession, model: type[DeclarativeBase], values: dict[str, Any]
) -> int:
    """Insert one row (flushing what the session holds first) and return its id."""
    result = await session.execute(insert(model).values(values).returning(model.__table__.c.id))
    inserted: int = result.scalar_one()
    return inserted
