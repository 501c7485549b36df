"""`cadrebot plan load`: campaigns, tasks and milestones from a plan TOML."""

from __future__ import annotations

import argparse
import asyncio

from bot.cli.invocation import Invocation
from domain.clock import local_today
from domain.plan import rebase
from services.plan_loader import default_plan_path, load_plan, read_plan_file


async def execute(args: argparse.Namespace, cli: Invocation) -> int:
    """Load the plan, re-based onto --year if given.

    With no file, the shipped 2017 plan is re-based onto this year (in the plan's time zone):
    a first deployment wants this year's milestones, not 2017's.
    """
    plan = await asyncio.to_thread(read_plan_file, args.file or default_plan_path())
    year = args.year
    if year is None and args.file is None:
        year = local_today(cli.clock, cli.settings.tz).year
    if year:
        plan = rebase(plan, year)
    async with cli.sessionmaker() as session:
        summary = await load_plan(session, plan)
    print(summary)
    return 0
