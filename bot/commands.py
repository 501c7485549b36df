"""The command menu Telegram shows, in Chinese (default) and English."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, MenuButtonCommands

from ui.i18n import N_, Catalogs

COMMANDS = (
    ("mystatus", N_("What I still owe")),
    ("visit", N_("Log a household visit")),
    ("village", N_("Log the unit's village visit")),
    ("households", N_("My households and coverage")),
    ("ledger", N_("Household ledgers")),
    ("deadlines", N_("Milestones near today")),
    ("progress", N_("Report my unit's monthly progress (unit heads)")),
    ("compliance", N_("Visit coverage this quarter")),
    ("notice", N_("Monthly notice: ranking, overdue tasks (supervisors)")),
    ("dropout", N_("Report a child out of school")),
    ("cases", N_("Dropout cases I follow or can act on")),
    ("schooling", N_("Enrolment and dropout rates (supervisors, central schools)")),
    ("reminders", N_("What I will be reminded of, and when")),
    ("lang", N_("Language: Chinese / English")),
    ("help", N_("What this bot can do")),
    ("cancel", N_("Stop the current step")),
)


async def publish_commands(bot: Bot, catalogs: Catalogs) -> None:
    """Default list in the default language, plus one per language for clients set to it."""
    for language in (None, *catalogs.locales):
        t = catalogs.translator(language or catalogs.default_locale)
        await bot.set_my_commands(
            [BotCommand(command=name, description=t(text)) for name, text in COMMANDS],
            language_code=language,
        )
    # The menu button opens this command list, /mystatus first: "what do I still owe?"
    await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
