"""What the dropout handlers share: the write context of a case change, and flow answers."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from domain.errors import InputRefused
from handlers.context import Context
from services.dropouts import CaseWrite
from ui.views.dropouts import case_notices

# Typed text in a flow step, but not a command: /cases mid-flow is not an answer.
TYPED = F.text & ~F.text.startswith("/")


def source_of(event: Message | CallbackQuery) -> str:
    """The Telegram event behind a write (a message in its chat, or a button press, both unique
    for ever): a redelivered update finds its own event row and adds nothing."""
    if isinstance(event, CallbackQuery):
        return f"cb:{event.id}"
    return f"msg:{event.chat.id}:{event.message_id}"


def case_write(event: Message | CallbackQuery, ctx: Context) -> CaseWrite:
    """A case change from this update: the others are told in their own language."""
    return CaseWrite(ctx.clock, ctx.tz, case_notices(ctx.catalogs, ctx.tz), source_of(event))


async def flow_data(state: FSMContext, *keys: str, token: int | None = None) -> dict[str, Any]:
    """A button or typed answer is only valid while its question is open; a button with a
    `token` only for the draft it was shown for."""
    data = await state.get_data()
    if token is not None and data.get("draft") != token:
        raise InputRefused("stale_button")  # an older card: the draft now stays as it is
    if any(key not in data for key in keys):
        await state.clear()
        raise InputRefused("stale_button")
    return data
