"""A registered person's own command menu: exactly the commands /help lists for them."""

from __future__ import annotations

from aiogram.types import BotCommand, BotCommandScopeChat, Message

from services.audience import Audience
from ui.i18n import Translator
from ui.views.help import menu


async def publish_chat_menu(message: Message, t: Translator, audience: Audience) -> None:
    """Set the chat's menu (in the person's language) over the default one everyone gets."""
    if message.bot is None:  # a message built by hand, not received: no chat to set
        return
    await message.bot.set_my_commands(
        [BotCommand(command=name, description=text) for name, text in menu(t, audience)],
        scope=BotCommandScopeChat(chat_id=message.chat.id),
    )
