"""`cadrebot plan load`: campaigns, tasks and milestones from a plan TOML."""

from __future__ import annotations

import argparse
import asyncio

from bot.cli.invocation import Invocation
from domain.plan import rebase
from services.plan_loader import default_plan_path, load_plan, read_plan_file


async def execute(args: argparse.Namespace, cli: Invocation) -> int:
    """Load the plan (the 2017 plan by default), re-based onto --year if given."""
    plan = await asyncio.to_thread(read_plan_file, args.file or default_plan_path())
    if args.year:
        plan = rebase(plan, args.year)
    async with cli.sessionmaker() as session:
        summary = await load_plan(session, plan)
    print(summary)
    return 0
