"""`cadrebot db upgrade`: the schema upgrade every command does first, saying what it found."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from storage.db import log_statement_durations, make_engine
from storage.migrate import script_heads, stamped_revisions, upgrade_if_behind
from storage.tenancy import list_counties


async def upgrade_schema(settings: Settings, verbose: bool) -> int:
    """Create or upgrade the schema to head, then each county's (storage.tenancy); print
    what was there before and what is now."""
    engine = make_engine(settings.database_url)
    try:
        if verbose:
            log_statement_durations(engine)
        print(await _upgrade(engine, None))
        for county in await list_counties(engine):
            print(f"county {county.slug}: {await _upgrade(engine, county.schema)}")
    finally:
        await engine.dispose()
    return 0


async def _upgrade(engine: AsyncEngine, schema: str | None) -> str:
    before = await stamped_revisions(engine, schema)
    if not (await upgrade_if_behind(engine, schema)):
        return f"schema is up to date ({_names(before)})"
    after = await stamped_revisions(engine, schema)
    if before:
        return f"schema upgraded from {_names(before)} to {_names(after)}"
    return f"schema created at {_names(after or script_heads())}"


def _names(revisions: frozenset[str]) -> str:
    return ", ".join(sorted(revisions)) or "none"
