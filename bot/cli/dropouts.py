"""`cadrebot report dropouts`: the ministry's three lists, one workbook per township."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.cli.exported import record
from bot.cli.invocation import Invocation
from bot.cli.output import usage_error
from bot.cli.schooling import school_year
from domain.audit import DROPOUTS
from services.files.schooling import lists_workbook
from services.reports.schooling import stream_township_lists
from storage.places import central_school_townships


async def execute(args: argparse.Namespace, cli: Invocation) -> int:
    output_dir = args.output_dir or cli.settings.reports_dir
    return await write_dropout_lists(cli, args.format, output_dir, args.year)


async def write_dropout_lists(cli: Invocation, fmt: str, output_dir: Path, year: int | None) -> int:
    """Children of school age, suspected dropouts and dropouts of each township."""
    if fmt not in ("xlsx", "json"):  # json is the parser's default; the lists are workbooks
        return usage_error("report dropouts: --format xlsx (one workbook per township)")
    wanted = school_year(cli, year)
    written: list[Path] = []
    children = 0
    listed: set[str] = set()
    # One township at a time, as the query streams them: only the one being written is held.
    async with cli.sessionmaker() as session:
        async for lists in stream_township_lists(session, wanted):
            if not written:
                output_dir.mkdir(parents=True, exist_ok=True)
            target = output_dir / f"dropout-lists-{wanted}-{lists.code}.xlsx"
            data = await asyncio.to_thread(lists_workbook, lists)
            await asyncio.to_thread(target.write_bytes, data)
            written.append(target)
            children += len(lists.children)
            listed.add(lists.code)
            print(
                f"{target}: {lists.name} 适龄儿童 {len(lists.children)}, "
                f"疑似辍学 {len(lists.suspected)}, 辍学 {len(lists.dropouts)}"
            )
        for code, name in await central_school_townships(session):
            if code not in listed:  # a central school's township is named, even with nobody
                print(f"{code} {name}: no children of school age in poor villages, no cases")
    if not written:
        print(f"no children of school age in poor villages for {wanted}", file=sys.stderr)
        return 1
    # Each workbook is written as its township streams in (a province's lists are never
    # held whole), so the one row for them all follows the last.
    await record(cli, DROPOUTS, "xlsx", children, period=str(wanted), files=written)
    return 0
