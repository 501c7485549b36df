"""Reading and binding cadres: who a Telegram account is on the roster."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Cadre, Unit


async def cadre_by_telegram_id(session: AsyncSession, telegram_user_id: int) -> Cadre | None:
    result = await session.execute(
        select(Cadre).where(Cadre.telegram_user_id == telegram_user_id, Cadre.active.is_(True))
    )
    return result.scalar_one_or_none()


async def cadre_by_code(session: AsyncSession, code: str) -> Cadre | None:
    return (await session.execute(select(Cadre).where(Cadre.code == code))).scalar_one_or_none()


async def unit_of(session: AsyncSession, unit_id: int) -> Unit:
    return (await session.execute(select(Unit).where(Unit.id == unit_id))).scalar_one()


async def bind_telegram_account(
    session: AsyncSession, cadre_id: int, telegram_user_id: int, at: datetime
) -> None:
    """Point the cadre at this account, releasing the account from anyone it was bound to."""
    await session.execute(
        update(Cadre)
        .where(Cadre.telegram_user_id == telegram_user_id, Cadre.id != cadre_id)
        .values(telegram_user_id=None)
    )
    await session.execute(
        update(Cadre)
        .where(Cadre.id == cadre_id)
        .values(telegram_user_id=telegram_user_id, registered_at=at)
    )


async def set_locale(session: AsyncSession, cadre_id: int, locale: str) -> None:
    await session.execute(update(Cadre).where(Cadre.id == cadre_id).values(locale=locale))
