"""The default command menu, in Chinese (default) and English, from ui.views.help.

It holds the commands everyone may use; a registered person's chat gets its own menu (their
role's commands, handlers.menu) when they register, /start, /help or change language.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, MenuButtonCommands

from ui.i18n import Catalogs
from ui.views.help import menu


async def publish_commands(bot: Bot, catalogs: Catalogs) -> None:
    """Default list in the default language, plus one per language for clients set to it."""
    for language in (None, *catalogs.locales):
        t = catalogs.translator(language or catalogs.default_locale)
        await bot.set_my_commands(
            [BotCommand(command=name, description=text) for name, text in menu(t)],
            language_code=language,
        )
    # The menu button opens this command list, /mystatus first: "what do I still owe?"
    await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
