"""How a command records its export in the audit (services.audit): the machine's user is
the actor. Called once the export is made, before it is printed or written where that can
wait (a command whose row cannot be written fails, and nothing leaves without its row)."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.invocation import Invocation
from domain.audit import CLI, WHOLE_COUNTY, Export
from domain.clock import Clock
from services.audit import record_export


def operator() -> str:
    """Who runs the command: the login name (or the uid where it has none, as a container's
    user may not), and under sudo also the account that ran sudo."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (3.11 KeyError, 3.13 OSError)
        user = f"uid {os.getuid()}"
    invoker = os.environ.get("SUDO_USER")
    return f"{user} (sudo by {invoker})" if invoker and invoker != user else user


def file_names(paths: Iterable[Path]) -> str:
    """The files written, absolute, comma-separated."""
    return ", ".join(str(path.resolve()) for path in paths)


def cli_export(
    clock: Clock,
    what: str,
    fmt: str,
    rows: int,
    *,
    scope: str = WHOLE_COUNTY,
    period: str | None = None,
    files: Iterable[Path] = (),
) -> Export:
    """This command's export as the audit records it."""
    names = file_names(files)
    return Export(
        at=clock.now(),
        channel=CLI,
        actor=operator(),
        what=what,
        scope=scope,
        format=fmt,
        rows=rows,
        period=period,
        file_name=names or None,
    )


async def record(
    cli: Invocation,
    what: str,
    fmt: str,
    rows: int,
    *,
    scope: str = WHOLE_COUNTY,
    period: str | None = None,
    files: Iterable[Path] = (),
) -> None:
    """One audit row in the command's database (a county's schema with --tenant)."""
    export = cli_export(cli.clock, what, fmt, rows, scope=scope, period=period, files=files)
    await record_in(cli.sessionmaker, export)


async def record_in(sessions: async_sessionmaker[AsyncSession], export: Export) -> None:
    async with sessions() as session:
        await record_export(session, export)
