"""Turnover: hand a cadre's households to another, and find households nobody holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.turnover import (
    check_cadres,
    check_reassign_pair,
    households_to_move,
    orphan_reason,
)
from services.transaction import unit_of_work
from storage.turnover import (
    Holding,
    cadres_by_code,
    households_and_holders,
    move_pairings,
    open_pairings_of,
)


@dataclass(frozen=True)
class Reassignment:
    from_code: str
    from_name: str
    to_code: str
    to_name: str
    households: tuple[str, ...]
    at: datetime


@dataclass(frozen=True)
class Orphan(Holding):
    """A household no active cadre holds, and why (no pairing, or its holder left)."""

    reason: str


async def reassign(
    session: AsyncSession,
    from_code: str,
    to_code: str,
    household_codes: Sequence[str] | None,
    clock: Clock,
) -> Reassignment:
    """Move all (or the listed) open pairings of one cadre to another, in one transaction.

    The old pairings end now and the new ones start now, so history stays with its cadre and
    a period's coverage counts whoever holds each household at its end.
    """
    check_reassign_pair(from_code, to_code)
    now = clock.now()
    async with unit_of_work(session):
        found = await cadres_by_code(session, [from_code, to_code])
        old, new = found.get(from_code), found.get(to_code)
        check_cadres(from_code, old, to_code, new)
        assert old is not None and new is not None
        pairings = await open_pairings_of(session, old.id)
        codes = households_to_move([p.household_code for p in pairings], household_codes, from_code)
        chosen = set(codes)
        await move_pairings(
            session, [p for p in pairings if p.household_code in chosen], new.id, now
        )
    return Reassignment(old.code, old.name, new.code, new.name, tuple(codes), now)


async def orphans(session: AsyncSession) -> list[Orphan]:
    """Households with no active cadre: no open pairing, or the holder is inactive."""
    async with unit_of_work(session):
        rows = await households_and_holders(session, without_active_holder=True)
    return [
        Orphan(**vars(row.holding), reason=reason)
        for row in rows
        if (reason := orphan_reason(row.holder_active)) is not None
    ]
