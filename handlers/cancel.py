"""/cancel, whatever the step: first of all routers, so no flow's text handler takes it."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove

from ui.i18n import N_, Translator

CANCELLED = N_("Cancelled. Nothing was logged.")


async def cancel(message: Message, state: FSMContext, t: Translator) -> None:
    """Forget the half-finished flow, and any reply keyboard it had put up."""
    await state.clear()
    await message.answer(t(CANCELLED), reply_markup=ReplyKeyboardRemove())


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="cancel")
    router.message.register(cancel, Command("cancel"), StateFilter("*"))
    return router
