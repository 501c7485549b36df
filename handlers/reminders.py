"""/reminders: what I will be reminded of and when, and what I owe today."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import ChatMemberUpdated, Message
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.reminders import QuietHours
from handlers.context import Context
from services.reachability import chat_member_changed
from services.reports.reminder_overview import reminder_overview
from ui.views.reminders import my_reminders


async def show_reminders(message: Message, ctx: Context, quiet_hours: QuietHours | None) -> None:
    lines = await reminder_overview(ctx.session, ctx.actor, ctx.clock, ctx.rules)
    await message.answer(my_reminders(lines, quiet_hours, ctx.t).text)


async def chat_member(event: ChatMemberUpdated, session: AsyncSession, clock: Clock) -> None:
    """Telegram tells us when a person blocks or unblocks the bot."""
    await chat_member_changed(session, event.from_user.id, event.new_chat_member.status, clock)


def build_router() -> Router:
    router = Router(name="reminders")
    router.message.register(show_reminders, Command("reminders"))
    router.my_chat_member.register(chat_member, F.chat.type == "private")
    return router
