"""`cadrebot qr`: a printable PDF of door QR codes, each a deep link to a household's visit."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.cli.bot_name import bot_username
from bot.cli.invocation import Invocation
from services.files.door_codes import door_codes, door_codes_pdf


async def execute(args: argparse.Namespace, cli: Invocation) -> int:
    """Cards for every household (of --village), two by four on A4 pages."""
    username = await bot_username(cli.settings, args.bot_username)
    if not username:
        print("set BOT_TOKEN or pass --bot-username: links need the bot's name", file=sys.stderr)
        return 2
    async with cli.sessionmaker() as session:
        codes = await door_codes(session, username, args.village)
    if not codes:
        where = f" in village {args.village}" if args.village else ""
        print(f"no households{where}", file=sys.stderr)
        return 1
    pdf = await asyncio.to_thread(door_codes_pdf, codes)
    await asyncio.to_thread(args.output.write_bytes, pdf)
    print(f"{args.output}: {len(codes)} door codes")
    return 0
