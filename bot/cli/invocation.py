"""What every database command receives: settings, the one clock, the open database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from domain.clock import Clock


@dataclass(frozen=True)
class Invocation:
    """Built once per `cadrebot` command and passed down; closed by the caller."""

    settings: Settings
    clock: Clock
    sessionmaker: async_sessionmaker[AsyncSession]
