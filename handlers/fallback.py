"""What nobody else handled: strangers get the roster notice, old buttons a clear refusal."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from services.actors import Actor
from services.audience import audience_of
from ui.i18n import Translator
from ui.refusals import REFUSALS
from ui.texts import NOT_ON_ROSTER, help_text


async def anything_else(
    message: Message, session: AsyncSession, actor: Actor | None, t: Translator
) -> None:
    if actor is None:
        await message.answer(t(NOT_ON_ROSTER))
        return
    audience = await audience_of(session, actor)
    await message.answer(t("I did not understand that.") + "\n\n" + help_text(t, audience))


async def unknown_button(query: CallbackQuery, actor: Actor | None, t: Translator) -> None:
    if actor is None:
        await query.answer(t(NOT_ON_ROSTER)[:200], show_alert=True)
        return
    await query.answer(t(REFUSALS["stale_button"])[:200], show_alert=False)


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="fallback")
    router.message.register(anything_else)
    router.callback_query.register(unknown_button)
    return router
