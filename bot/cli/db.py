"""`cadrebot db upgrade`: the schema upgrade every command does first, saying what it found."""

from __future__ import annotations

from bot.settings import Settings
from storage.db import log_statement_durations, make_engine
from storage.migrate import script_heads, stamped_revisions, upgrade_if_behind


async def upgrade_schema(settings: Settings, verbose: bool) -> int:
    """Create or upgrade the schema to head; print what was there before and what is now."""
    engine = make_engine(settings.database_url)
    try:
        if verbose:
            log_statement_durations(engine)
        before = await stamped_revisions(engine)
        if not (await upgrade_if_behind(engine)):
            print(f"schema is up to date ({_names(before)})")
            return 0
        after = await stamped_revisions(engine)
    finally:
        await engine.dispose()
    if before:
        print(f"schema upgraded from {_names(before)} to {_names(after)}")
    else:
        print(f"schema created at {_names(after or script_heads())}")
    return 0


def _names(revisions: frozenset[str]) -> str:
    return ", ".join(sorted(revisions)) or "none"
