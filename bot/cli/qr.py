"""`cadrebot qr`: a printable PDF of door QR codes, each a deep link to a household's visit."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.cli.bot_name import bot_username
from bot.cli.exported import record
from bot.cli.invocation import Invocation
from domain.audit import DOOR_CODES, WHOLE_COUNTY
from services.files.door_codes import door_codes, door_codes_pdf
from services.files.fonts import FontMissing


async def execute(args: argparse.Namespace, cli: Invocation) -> int:
    """Cards for every household (of --village), two by four on A4 pages."""
    username = await bot_username(cli.settings, args.bot_username)
    if not username:  # bot_username said why, and the fix (--bot-username)
        return 2
    async with cli.sessionmaker() as session:
        codes = await door_codes(session, username, args.village)
    if not codes:
        where = f" in village {args.village}" if args.village else ""
        print(f"no households{where}", file=sys.stderr)
        return 1
    try:
        pdf = await asyncio.to_thread(door_codes_pdf, codes, cli.settings.pdf_font)
    except FontMissing as error:
        print(error, file=sys.stderr)
        return 2
    output = args.output or cli.settings.reports_dir / "door-codes.pdf"
    output.parent.mkdir(parents=True, exist_ok=True)
    scope = args.village or WHOLE_COUNTY
    await record(cli, DOOR_CODES, "pdf", len(codes), scope=scope, files=[output])
    await asyncio.to_thread(output.write_bytes, pdf)
    print(f"{output}: {len(codes)} door codes")
    return 0
