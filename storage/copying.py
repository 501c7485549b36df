"""Copy a whole deployment's tables from one database to another (SQLite to PostgreSQL).

Every table of the bot is copied in dependency order (parents first) inside one transaction
on the target: a failure leaves no row there. The target must hold no row of the bot; its
schema is created (or brought to head) first, and stays. After the copy each table's row count
is compared with the source's, and PostgreSQL's id sequences are set past the copied ids, so
the next row the bot writes gets a new id instead of a duplicate-key error.

A deployment of counties (storage.tenancy) is not copied this way: each county is a schema
of its own, moved with pg_dump and pg_restore.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Table, func, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.migrate import VERSION_TABLE, script_heads, stamped_revisions, upgrade_if_behind
from storage.models import Base
from storage.tenancy import TENANCY_SCHEMA, has_registry, registry

logger = logging.getLogger(__name__)

BATCH_ROWS = 1000


class CopyRefused(Exception):
    """The copy would lose or mix data; nothing was written. The text says why, for the
    operator (the command line only, never shown in the bot)."""


@dataclass(frozen=True)
class CopiedTable:
    """One table copied: its name and how many rows it holds now on both sides."""

    name: str
    rows: int


async def copy_database(
    source: AsyncEngine,
    target: AsyncEngine,
    progress: Callable[[CopiedTable], None] | None = None,
) -> list[CopiedTable]:
    """Copy every table of the bot from `source` into the empty `target`, or refuse."""
    if source.url == target.url:
        raise CopyRefused("the source and the target are the same database")
    await _check_source(source)
    await _check_target_empty(target)
    await upgrade_if_behind(target)
    tables = Base.metadata.sorted_tables
    copied: list[CopiedTable] = []
    async with source.connect() as reading, target.begin() as writing:
        if source.dialect.name == "postgresql":  # one snapshot of the source for every table
            await reading.execution_options(isolation_level="REPEATABLE READ")
        for table in tables:
            rows = await _copy_table(reading, writing, table)
            counted = await _count(writing, table)
            at_source = await _count(reading, table)
            if not rows == counted == at_source:
                raise CopyRefused(
                    f"{table.name}: {at_source} rows in the source, {rows} read, {counted} in"
                    " the target; the source changed during the copy? Stop the bot and the"
                    " scheduler first. Nothing was written."
                )
            if writing.dialect.name == "postgresql":
                await _set_sequence(writing, table)
            copied.append(CopiedTable(table.name, rows))
            if progress is not None:
                progress(copied[-1])
    return copied


async def _check_source(source: AsyncEngine) -> None:
    """At this version's head, and one county only: what the copy knows how to move."""
    stamped = await stamped_revisions(source)
    heads = script_heads()
    if not stamped:
        raise CopyRefused("the source holds no cadrebot schema (no alembic_version)")
    if stamped != heads:
        raise CopyRefused(
            f"the source's schema is at {', '.join(sorted(stamped))}, this version's at "
            f"{', '.join(sorted(heads))}: run `cadrebot db upgrade` with DATABASE_URL set to"
            " the source first"
        )
    async with source.connect() as connection:
        names = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    unknown = sorted(names - set(Base.metadata.tables) - {VERSION_TABLE})
    if unknown:
        raise CopyRefused(f"the source has tables this version does not know: {unknown}")
    if await has_registry(source):
        async with source.connect() as connection:
            for table in registry.sorted_tables:
                if await _count(connection, table):
                    raise CopyRefused(
                        f"the source is a deployment of counties ({TENANCY_SCHEMA}.{table.name}"
                        " has rows): each county is a schema of its own; move it with pg_dump"
                        " and pg_restore (docs/deploy.md)"
                    )


async def _check_target_empty(target: AsyncEngine) -> None:
    """No row of the bot in the target (before any schema change there)."""
    async with target.connect() as connection:
        present = await connection.run_sync(_present_tables)
        for table in present:
            rows = await _count(connection, table)
            if rows:
                where = f"{table.schema}.{table.name}" if table.schema else table.name
                raise CopyRefused(
                    f"the target is not empty ({where} has {rows} rows); copy only into a new,"
                    " empty database"
                )


def _present_tables(sync: Connection) -> list[Table]:
    """The bot's tables (and the counties' registry) that exist in this database."""
    inspector = inspect(sync)
    names = set(inspector.get_table_names())
    present = [t for t in Base.metadata.sorted_tables if t.name in names]
    if inspector.dialect.name == "postgresql" and inspector.has_schema(TENANCY_SCHEMA):
        registry_names = set(inspector.get_table_names(schema=TENANCY_SCHEMA))
        present += [t for t in registry.sorted_tables if t.name in registry_names]
    return present


async def _copy_table(reading: AsyncConnection, writing: AsyncConnection, table: Table) -> int:
    """Stream the table's rows in primary-key order, written in batches; how many."""
    columns = list(table.c)
    keys = [column.key for column in columns]
    statement = select(*columns).order_by(*table.primary_key.columns)
    result = await reading.stream(statement)
    rows = 0
    async for batch in result.partitions(BATCH_ROWS):
        values = [dict(zip(keys, row, strict=True)) for row in batch]
        try:
            await writing.execute(insert(table), values)
        except DBAPIError as error:  # e.g. a text longer than PostgreSQL's column allows
            raise CopyRefused(
                f"the target refused a row of {table.name} ({error.orig!r}); nothing was written"
            ) from error
        rows += len(batch)
    logger.info("copied %r: %r rows", table.name, rows)
    return rows


async def _count(connection: AsyncConnection, table: Table) -> int:
    return int(await connection.scalar(select(func.count()).select_from(table)) or 0)


async def _set_sequence(writing: AsyncConnection, table: Table) -> None:
    """The id sequence's next value past the highest copied id (1 for an empty table)."""
    column = table.autoincrement_column
    if column is None:
        return
    await writing.execute(
        text(
            "SELECT setval(pg_get_serial_sequence(:table, :column),"
            f' COALESCE(MAX("{column.name}"), 0) + 1, false) FROM "{table.name}"'
        ),
        {"table": f'"{table.name}"', "column": column.name},
    )
