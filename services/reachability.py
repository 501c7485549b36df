"""Whether Telegram will deliver to a person: blocked bots get no reminders until unblocked."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from services.transaction import unit_of_work
from storage.cadres import account_by_telegram_id
from storage.reminders import mark_reachable, mark_unreachable


async def chat_member_changed(
    session: AsyncSession, telegram_user_id: int, status: str, clock: Clock
) -> None:
    """`kicked`: the person blocked the bot; `member`: they unblocked it (or restarted it)."""
    async with unit_of_work(session):
        if status == "kicked":
            cadre = await account_by_telegram_id(session, telegram_user_id)
            if cadre is not None:
                await mark_unreachable(session, cadre.id, clock.now())
        elif status == "member":
            await mark_reachable(session, telegram_user_id)
