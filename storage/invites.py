"""Invite codes and wrong-code attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invite, InviteAttempt


async def revoke_open_invites(session: AsyncSession, cadre_id: int, at: datetime) -> None:
    """A new invite makes the cadre's older unused ones expire now."""
    await session.execute(
        update(Invite)
        .where(Invite.cadre_id == cadre_id, Invite.used_at.is_(None), Invite.expires_at > at)
        .values(expires_at=at)
    )


async def add_invite(
    session: AsyncSession, cadre_id: int, code_hash: str, created_at: datetime, expires_at: datetime
) -> None:
    session.add(
        Invite(cadre_id=cadre_id, code_hash=code_hash, created_at=created_at, expires_at=expires_at)
    )
    await session.flush()


async def invite_by_hash(session: AsyncSession, code_hash: str) -> Invite | None:
    result = await session.execute(
        select(Invite).where(Invite.code_hash == code_hash).with_for_update()
    )
    return result.scalar_one_or_none()


async def mark_used(
    session: AsyncSession, invite_id: int, telegram_user_id: int, at: datetime
) -> bool:
    """Use the invite once; False when another request used it first."""
    result = await session.execute(
        update(Invite)
        .where(Invite.id == invite_id, Invite.used_at.is_(None))
        .values(used_at=at, used_by=telegram_user_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def wrong_attempts_since(
    session: AsyncSession, telegram_user_id: int, since: datetime
) -> list[datetime]:
    result = await session.execute(
        select(InviteAttempt.at).where(
            InviteAttempt.telegram_user_id == telegram_user_id, InviteAttempt.at >= since
        )
    )
    return list(result.scalars())


async def record_wrong_attempt(session: AsyncSession, telegram_user_id: int, at: datetime) -> None:
    session.add(InviteAttempt(telegram_user_id=telegram_user_id, at=at))
    await session.flush()
