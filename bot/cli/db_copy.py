"""`cadrebot db copy --from URL --to URL`: move a deployment to another database, e.g. from
SQLite to PostgreSQL, all or nothing (storage.copying). Both URLs come from the command line,
not DATABASE_URL: the operator names both ends."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.engine import make_url

from bot.settings import async_database_url
from storage.copying import CopiedTable, CopyRefused, copy_database
from storage.db import log_statement_durations, make_engine
from storage.readiness import missing_sqlite_file


async def execute(args: argparse.Namespace, verbose: bool) -> int:
    """0 with a line per table copied; 1 when refused or failed, no row written."""
    try:
        source_url = async_database_url(args.source)
        target_url = async_database_url(args.target)
    except ValueError as error:
        print(f"refused: {error}", file=sys.stderr)
        return 1
    missing = missing_sqlite_file(source_url)
    if missing is not None:  # opening it would make an empty one
        print(f"refused: no SQLite file at {missing}", file=sys.stderr)
        return 1
    source = make_engine(source_url)
    target = make_engine(target_url)
    if verbose:
        log_statement_durations(source)
        log_statement_durations(target)
    print(f"copying {_shown(source_url)} -> {_shown(target_url)}")
    try:
        copied = await copy_database(source, target, progress=_say)
    except CopyRefused as error:
        print(f"refused: {error}", file=sys.stderr)
        return 1
    finally:
        await source.dispose()
        await target.dispose()
    rows = sum(table.rows for table in copied)
    print(f"copied {rows} rows in {len(copied)} tables; row counts match the source")
    return 0


def _say(table: CopiedTable) -> None:
    print(f"  {table.name}: {table.rows}")


def _shown(url: str) -> str:
    """The URL without its password, for the terminal and its scroll-back."""
    return make_url(url).render_as_string(hide_password=True)
