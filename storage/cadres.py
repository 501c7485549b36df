"""Reading and binding cadres: who a Telegram account is on the roster."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Cadre, Unit


@dataclass(frozen=True)
class AccountRow:
    """The roster facts every update needs about its sender."""

    id: int
    code: str
    name: str
    role: str
    unit_id: int
    locale: str | None


_ACCOUNT = select(Cadre.id, Cadre.code, Cadre.name, Cadre.role, Cadre.unit_id, Cadre.locale).where(
    Cadre.telegram_user_id == bindparam("telegram_user_id"), Cadre.active.is_(True)
)


async def account_by_telegram_id(session: AsyncSession, telegram_user_id: int) -> AccountRow | None:
    """Runs on every update: plain columns through Core, no ORM objects to build."""
    connection = await session.connection()
    row = (await connection.execute(_ACCOUNT, {"telegram_user_id": telegram_user_id})).first()
    return None if row is None else AccountRow(*row)


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
