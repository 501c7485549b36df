"""`cadrebot invite CADRE`: a one-time code and its t.me link for one cadre."""

from __future__ import annotations

import argparse

from bot.cli.bot_name import bot_username
from bot.cli.invocation import Invocation
from services.registration import issue_invite


async def execute(args: argparse.Namespace, cli: Invocation) -> int:
    """Issue the invite, then print the code, its expiry and the link to open."""
    settings = cli.settings
    async with cli.sessionmaker() as session:
        issued = await issue_invite(session, args.cadre_code, cli.clock, settings.invite_days)
    username = await bot_username(settings, args.bot_username)
    expires = issued.expires_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
    print(f"cadre:   {issued.cadre_code} {issued.cadre_name}")
    print(f"code:    {issued.code}  (one use, expires {expires} {settings.timezone})")
    if username:
        print(f"link:    https://t.me/{username}?start={issued.code}")
    else:
        print(f"link:    unknown (pass --bot-username NAME); or send: /start {issued.code}")
    return 0
