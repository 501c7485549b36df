"""/lang zh|en: the person's language, kept on the roster entry."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import InputRefused
from handlers.callbacks import on
from handlers.replies import replace, show
from services.actors import AccountCache, Actor
from services.registration import set_language
from ui.actions import PickLanguage
from ui.i18n import Catalogs, Translator
from ui.view import View
from ui.views.language import LANGUAGE_NAMES, choose_language_view, language_set_view


async def choose_language(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    catalogs: Catalogs,
    accounts: AccountCache,
    t: Translator,
) -> None:
    if command.args:
        view = await _switch(session, actor, catalogs, accounts, command.args.strip().lower())
    else:
        view = choose_language_view(t)
    await show(message, view)


async def picked_language(
    query: CallbackQuery,
    callback_data: PickLanguage,
    session: AsyncSession,
    actor: Actor,
    catalogs: Catalogs,
    accounts: AccountCache,
) -> None:
    await replace(query, await _switch(session, actor, catalogs, accounts, callback_data.code))


async def _switch(
    session: AsyncSession, actor: Actor, catalogs: Catalogs, accounts: AccountCache, code: str
) -> View:
    """Keep the new language on the roster entry; the reply already speaks it."""
    if code not in LANGUAGE_NAMES or code not in catalogs.locales:
        raise InputRefused("bad_language")
    await set_language(session, actor, code)
    accounts.forget_cadre(actor.cadre_id)
    return language_set_view(catalogs.translator(code))


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="language")
    router.message.register(choose_language, Command("lang"))
    router.callback_query.register(picked_language, on(PickLanguage))
    return router
