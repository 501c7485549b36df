"""/lang zh|en: the person's language, kept on the roster entry."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import InputRefused
from handlers.callbacks import on
from services.actors import AccountCache, Actor
from services.registration import set_language
from ui.actions import PickLanguage
from ui.i18n import N_, Catalogs, Translator

LANGUAGE_NAMES = {"zh": "\u4e2d\u6587", "en": "English"}
LANGUAGE_SET = N_("Language set to English.")


async def choose_language(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    catalogs: Catalogs,
    accounts: AccountCache,
    t: Translator,
) -> None:
    if not command.args:
        builder = InlineKeyboardBuilder()
        for code, name in LANGUAGE_NAMES.items():
            builder.button(text=name, callback_data=PickLanguage(code=code).pack())
        await message.answer(t("Choose your language:"), reply_markup=builder.as_markup())
        return
    await message.answer(
        await _switch(session, actor, catalogs, accounts, command.args.strip().lower())
    )


async def picked_language(
    query: CallbackQuery,
    callback_data: PickLanguage,
    session: AsyncSession,
    actor: Actor,
    catalogs: Catalogs,
    accounts: AccountCache,
) -> None:
    text = await _switch(session, actor, catalogs, accounts, callback_data.code)
    if isinstance(query.message, Message):
        await query.message.edit_text(text)
    await query.answer()


async def _switch(
    session: AsyncSession, actor: Actor, catalogs: Catalogs, accounts: AccountCache, code: str
) -> str:
    if code not in LANGUAGE_NAMES or code not in catalogs.locales:
        raise InputRefused("bad_language")
    await set_language(session, actor, code)
    accounts.forget_cadre(actor.cadre_id)
    return catalogs.translator(code)(LANGUAGE_SET)


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="language")
    router.message.register(choose_language, Command("lang"))
    router.callback_query.register(picked_language, on(PickLanguage))
    return router
