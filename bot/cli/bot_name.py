"""The bot's @username for links: given on the command line, else asked with getMe."""

from __future__ import annotations

import sys

from bot.settings import Settings


async def bot_username(settings: Settings, given: str | None) -> str | None:
    """`given` if set; else the Bot API's answer; None without BOT_TOKEN or an answer."""
    if given:
        return given
    if settings.bot_token is None:
        return None
    # aiogram (seconds to import) only when Telegram must really be asked.
    from aiogram.exceptions import TelegramAPIError

    from bot.telegram import build_bot

    bot = build_bot(settings)
    try:
        me = await bot.get_me()
    except TelegramAPIError as error:
        print(f"could not ask the Bot API for the bot's name: {error}", file=sys.stderr)
        return None
    finally:
        await bot.session.close()
    return me.username
