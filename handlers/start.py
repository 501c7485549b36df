"""/start with an invite code binds the account; /start and /help show the menu."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from handlers.filters import Registered
from handlers.menu import publish_chat_menu
from handlers.visits import visit_door_code
from services.actors import AccountCache, Actor
from services.audience import audience_of
from services.files.door_codes import DEEP_LINK_PREFIX
from services.registration import redeem_invite
from ui.i18n import Translator
from ui.render import esc
from ui.texts import NOT_ON_ROSTER, ROLE_NAMES, help_text


async def start_with_invite(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    actor: Actor | None,
    accounts: AccountCache,
    t: Translator,
) -> None:
    """Redeem the one-time code from the invite link (or typed after /start)."""
    assert message.from_user is not None
    if actor is not None:
        audience = await audience_of(session, actor)
        await publish_chat_menu(message, t, audience)
        await message.answer(
            t("You are already registered as {name}.", name=esc(actor.name))
            + "\n\n"
            + help_text(t, audience)
        )
        return
    try:
        registered = await redeem_invite(session, message.from_user.id, command.args or "", clock)
    finally:
        accounts.forget(message.from_user.id)
    # The person's own menu first: by the time the welcome arrives, it is in place.
    audience = await audience_of(session, registered)
    await publish_chat_menu(message, t, audience)
    await message.answer(
        t(
            "Welcome, {name}! You are registered as {role}.",
            name=esc(registered.name),
            role=t(ROLE_NAMES[registered.role]),
        )
        + "\n\n"
        + help_text(t, audience)
    )


async def start_plain(
    message: Message, session: AsyncSession, actor: Actor | None, t: Translator
) -> None:
    """The person's commands; their chat's menu is set again to match (a role may change)."""
    if actor is None:
        await message.answer(t(NOT_ON_ROSTER))
        return
    audience = await audience_of(session, actor)
    await publish_chat_menu(message, t, audience)
    await message.answer(help_text(t, audience))


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="start")
    door_code = CommandStart(deep_link=True, magic=F.args.startswith(DEEP_LINK_PREFIX))
    router.message.register(visit_door_code, door_code, Registered())
    router.message.register(start_plain, door_code)  # a stranger: the roster notice
    router.message.register(start_with_invite, CommandStart(deep_link=True))
    router.message.register(start_plain, CommandStart())
    router.message.register(start_plain, Command("help"))
    return router
