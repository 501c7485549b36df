"""A warning for commands whose output follows the plan: no plan loaded for that year."""

from __future__ import annotations

import sys

from bot.cli.invocation import Invocation
from services.readiness import plan_loaded_for


async def warn_without_plan(cli: Invocation, year: int) -> bool:
    """Say on stderr (and name `cadrebot plan load`) when no plan is loaded for `year`."""
    async with cli.sessionmaker() as session:
        loaded = await plan_loaded_for(session, year)
    if not loaded:
        print(
            f"note: no plan is loaded for {year}, so reminders and the monthly notice have no "
            f"milestones to follow; load one: cadrebot plan load --year {year} "
            "(or cadrebot plan load YOUR-PLAN.toml)",
            file=sys.stderr,
        )
    return loaded
