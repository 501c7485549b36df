"""Queries behind turnover: cadres by code, open pairings, and households with no holder."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.turnover import CadreFacts
from storage.models import Cadre, Household, Pairing, Township, Village
from storage.places import HOUSEHOLD_PLACE, HouseholdPlace, with_village_township


@dataclass(frozen=True)
class OpenPairingRow:
    pairing_id: int
    household_id: int
    household_code: str


@dataclass(frozen=True)
class Holding(HouseholdPlace):
    """A household, where it is, and who holds it (None when no open pairing)."""

    holder_code: str | None
    holder_name: str | None


@dataclass(frozen=True)
class HolderRow:
    """A household's holding and whether its holder is active (None: nobody holds it)."""

    holding: Holding
    holder_active: bool | None


async def cadres_by_code(session: AsyncSession, codes: Sequence[str]) -> dict[str, CadreFacts]:
    """The named cadres, active or not, by code (a missing code is not on the roster)."""
    rows = await session.execute(
        select(Cadre.id, Cadre.code, Cadre.name, Cadre.active).where(Cadre.code.in_(codes))
    )
    return {row[1]: CadreFacts(*row) for row in rows.all()}


async def open_pairings_of(session: AsyncSession, cadre_id: int) -> list[OpenPairingRow]:
    """The cadre's open pairings, locked against a concurrent reassign where supported."""
    statement = (
        select(Pairing.id, Pairing.household_id, Household.code)
        .join(Household, Household.id == Pairing.household_id)
        .where(Pairing.cadre_id == cadre_id, Pairing.until.is_(None))
        .order_by(Household.code)
        .with_for_update(of=Pairing)
    )
    rows = await session.execute(statement)
    return [OpenPairingRow(*row) for row in rows.all()]


async def move_pairings(
    session: AsyncSession,
    pairings: Sequence[OpenPairingRow],
    to_cadre_id: int,
    at: datetime,
) -> None:
    """Close the old pairings at `at` and open the new holder's at the same instant.

    Closing first keeps the one-open-pairing-per-household index satisfied; nothing is
    deleted, so earlier pairings and visits keep their cadre.
    """
    if not pairings:
        return
    await session.execute(
        update(Pairing).where(Pairing.id.in_([p.pairing_id for p in pairings])).values(until=at)
    )
    await session.execute(
        insert(Pairing),
        [
            {"cadre_id": to_cadre_id, "household_id": p.household_id, "since": at, "until": None}
            for p in pairings
        ],
    )


async def households_and_holders(
    session: AsyncSession, *, without_active_holder: bool = False
) -> list[HolderRow]:
    """Every household with its current holder, in one query; optionally only orphans."""
    statement = (
        with_village_township(select(*HOUSEHOLD_PLACE, Cadre.code, Cadre.name, Cadre.active))
        .outerjoin(Pairing, and_(Pairing.household_id == Household.id, Pairing.until.is_(None)))
        .outerjoin(Cadre, Cadre.id == Pairing.cadre_id)
        .order_by(Township.code, Village.code, Household.code)
    )
    if without_active_holder:
        statement = statement.where((Cadre.id.is_(None)) | (Cadre.active.is_(False)))
    rows = await session.execute(statement)
    return [HolderRow(Holding(*row[:-1]), row[-1]) for row in rows.all()]
