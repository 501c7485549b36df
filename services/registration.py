"""Invites: issue a one-time code for a cadre, redeem it from a messaging account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.errors import InviteRefused, NotOnRoster
from domain.invites import (
    WRONG_CODE_WINDOW,
    hash_code,
    is_throttled,
    new_invite_code,
    normalise_code,
)
from services.actors import Actor, actor_for_account
from services.transaction import unit_of_work
from storage import cadres as cadre_repo
from storage import invites as invite_repo


@dataclass(frozen=True)
class IssuedInvite:
    cadre_code: str
    cadre_name: str
    code: str
    expires_at: datetime


async def issue_invite(
    session: AsyncSession, cadre_code: str, clock: Clock, valid_days: int
) -> IssuedInvite:
    """Make a new code for the cadre; any older unused code stops working."""
    now = clock.now()
    code = new_invite_code()
    async with unit_of_work(session):
        cadre = await cadre_repo.cadre_by_code(session, cadre_code)
        if cadre is None or not cadre.active:
            raise NotOnRoster("unknown_cadre", code=cadre_code)
        await invite_repo.revoke_open_invites(session, cadre.id, now)
        expires_at = now + timedelta(days=valid_days)
        await invite_repo.add_invite(session, cadre.id, hash_code(code), now, expires_at)
    return IssuedInvite(cadre.code, cadre.name, code, expires_at)


async def redeem_invite(
    session: AsyncSession, telegram_user_id: int, code: str, clock: Clock
) -> Actor:
    """Bind the account to the invite's cadre; wrong codes are counted and throttled."""
    now = clock.now()
    refusal: InviteRefused | None = None
    async with unit_of_work(session):
        attempts = await invite_repo.wrong_attempts_since(
            session, telegram_user_id, now - WRONG_CODE_WINDOW
        )
        if is_throttled(attempts, now):
            raise InviteRefused("invite_throttled")
        normalised = normalise_code(code)
        invite = (
            await invite_repo.invite_by_hash(session, hash_code(normalised)) if normalised else None
        )
        if invite is None:
            refusal = InviteRefused("invite_unknown")
        elif invite.used_at is not None:
            refusal = InviteRefused("invite_used")
        elif invite.expires_at <= now:
            refusal = InviteRefused("invite_expired")
        if refusal is not None or invite is None:
            await invite_repo.record_wrong_attempt(session, telegram_user_id, now)
        elif not await invite_repo.mark_used(session, invite.id, telegram_user_id, now):
            refusal = InviteRefused("invite_used")
        else:
            await cadre_repo.bind_telegram_account(session, invite.cadre_id, telegram_user_id, now)
    if refusal is not None:
        raise refusal
    actor = await actor_for_account(session, telegram_user_id)
    assert actor is not None, "the account was bound in the committed transaction"
    return actor


async def set_language(session: AsyncSession, actor: Actor, locale: str) -> None:
    async with unit_of_work(session):
        await cadre_repo.set_locale(session, actor.cadre_id, locale)
