"""Who is acting: the roster entry behind a messaging account."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.roles import Role
from domain.types import CadreId, UnitId
from storage.cadres import cadre_by_telegram_id


@dataclass(frozen=True)
class Actor:
    """A registered cadre, as every service sees the person making a request."""

    cadre_id: CadreId
    code: str
    name: str
    role: Role
    unit_id: UnitId
    locale: str | None


async def actor_for_account(session: AsyncSession, telegram_user_id: int) -> Actor | None:
    """Look the account up on the roster; a read in its own short transaction."""
    async with session.begin():
        cadre = await cadre_by_telegram_id(session, telegram_user_id)
    if cadre is None:
        return None
    return Actor(
        cadre_id=CadreId(cadre.id),
        code=cadre.code,
        name=cadre.name,
        role=Role(cadre.role),
        unit_id=UnitId(cadre.unit_id),
        locale=cadre.locale,
    )
