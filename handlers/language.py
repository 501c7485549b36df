"""/lang zh|en: the person's language, kept on the roster entry."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from domain.errors import InputRefused
from handlers.callbacks import on
from handlers.context import Context
from handlers.menu import publish_chat_menu
from handlers.replies import replace, show
from services.actors import AccountCache
from services.audience import audience_of
from services.registration import set_language
from ui.actions import PickLanguage
from ui.view import View
from ui.views.language import LANGUAGE_NAMES, choose_language_view, language_set_view


async def choose_language(
    message: Message, command: CommandObject, ctx: Context, accounts: AccountCache
) -> None:
    if command.args:
        view = await _switch(ctx, accounts, command.args.strip().lower(), message)
    else:
        view = choose_language_view(ctx.t)
    await show(message, view)


async def picked_language(
    query: CallbackQuery, callback_data: PickLanguage, ctx: Context, accounts: AccountCache
) -> None:
    chat = query.message if isinstance(query.message, Message) else None
    await replace(query, await _switch(ctx, accounts, callback_data.code, chat))


async def _switch(ctx: Context, accounts: AccountCache, code: str, chat: Message | None) -> View:
    """Keep the new language on the roster entry; the reply and the chat's menu speak it."""
    if code not in LANGUAGE_NAMES or code not in ctx.catalogs.locales:
        raise InputRefused("bad_language")
    await set_language(ctx.session, ctx.actor, code)
    accounts.forget_cadre(ctx.actor.cadre_id)
    t = ctx.catalogs.translator(code)
    if chat is not None:
        await publish_chat_menu(chat, t, await audience_of(ctx.session, ctx.actor))
    return language_set_view(t)


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="language")
    router.message.register(choose_language, Command("lang"))
    router.callback_query.register(picked_language, on(PickLanguage))
    return router
