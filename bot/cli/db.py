"""`cadrebot db upgrade`: only the schema upgrade every command does first."""

from __future__ import annotations

import argparse

from bot.cli.invocation import Invocation


async def execute(args: argparse.Namespace, cli: Invocation) -> int:
    """The database was opened at head by the caller; say so."""
    print("schema is up to date")
    return 0
