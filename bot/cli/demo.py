"""`cadrebot demo`: a believable demo county, optionally with a quarter of visits."""

from __future__ import annotations

import argparse

from bot.cli.invocation import Invocation
from services.demo.activity import add_demo_activity
from services.demo.county import load_demo


async def execute(args: argparse.Namespace, cli: Invocation) -> int:
    """Load the county of --size; with --activity also its visits, ledgers and reports."""
    print(await load_demo(cli.sessionmaker, args.size, cli.clock, cli.settings.tz))
    if args.activity:
        settings = cli.settings
        added = await add_demo_activity(
            cli.sessionmaker, cli.clock, settings.tz, settings.ledger_season_opens_month_day
        )
        print(added)
    return 0
