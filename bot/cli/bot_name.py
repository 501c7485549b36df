"""The bot's @username for links: given on the command line, else asked with getMe, else
(no BOT_TOKEN: sandbox mode) the sandbox bot's."""

from __future__ import annotations

import sys

from bot.settings import SANDBOX_BOT_USERNAME, Settings

FIX = "pass --bot-username NAME (your bot's @username, without the @)"


async def bot_username(settings: Settings, given: str | None) -> str | None:
    """`given` if set; the Bot API's answer with BOT_TOKEN; the sandbox bot's without.

    None (with the reason and the fix on stderr) only when the Bot API did not answer."""
    if given:
        return given.removeprefix("@")
    if settings.bot_token is None:
        print(
            f"no BOT_TOKEN (sandbox mode): links name the sandbox bot @{SANDBOX_BOT_USERNAME}; "
            f"for your real bot set BOT_TOKEN or {FIX}",
            file=sys.stderr,
        )
        return SANDBOX_BOT_USERNAME
    # aiogram (seconds to import) only when Telegram must really be asked.
    from aiogram.exceptions import TelegramAPIError

    from bot.telegram import build_bot

    bot = build_bot(settings)
    try:
        me = await bot.get_me()
    except (TelegramAPIError, OSError) as error:
        print(f"could not ask the Bot API for the bot's name ({error}); {FIX}", file=sys.stderr)
        return None
    finally:
        await bot.session.close()
    if not me.username:
        print(f"the Bot API gave no username for this bot; {FIX}", file=sys.stderr)
        return None
    return me.username
