"""Who is asking, as far as the commands they may use depend on it (/help, the chat menu)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.roles import Role
from domain.schooling import COUNTY, schooling_scope
from services.actors import Actor
from services.transaction import unit_of_work
from storage.schooling import unit_place


@dataclass(frozen=True)
class Audience:
    """A person's role, and whether their unit lets them read schooling rates (/schooling)."""

    role: Role
    reads_schooling: bool = False


async def audience_of(session: AsyncSession, actor: Actor) -> Audience:
    """The actor's audience: the same rule /schooling applies (a central school's township)."""
    async with unit_of_work(session):
        unit = await unit_place(session, actor.unit_id)
    scope = schooling_scope(actor.role, unit.kind)
    reads = scope == COUNTY or (scope is not None and unit.township_id is not None)
    return Audience(actor.role, reads)
