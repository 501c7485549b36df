"""`cadrebot report notice`: the monthly notice as files, for e-mail or print."""

from __future__ import annotations

import argparse
import asyncio
import html
import re
import sys

from bot.cli.exported import record
from bot.cli.invocation import Invocation
from bot.cli.plan_note import warn_without_plan
from domain.audit import NOTICE
from domain.clock import local_today
from domain.errors import InputRefused
from domain.periods import Month
from services.files.notice import notice_chart, notice_workbook
from services.reports.notice import monthly_notice
from ui.i18n import Catalogs
from ui.views.notice import period_labels, render_notice

_TAG = re.compile(r"</?b>")


async def execute(args: argparse.Namespace, cli: Invocation) -> int:
    """Write notice-YYYY-MM.xlsx and .png in the default language and print the summary."""
    settings = cli.settings
    this_month = Month.containing(local_today(cli.clock, settings.tz))
    month = Month.parse(args.month) if args.month else this_month
    if month > this_month:
        raise InputRefused("notice_future_month", month=str(month))
    await warn_without_plan(cli, month.year)
    async with cli.sessionmaker() as session:
        notice = await monthly_notice(
            session,
            month,
            cli.clock,
            settings.tz,
            settings.ledger_season_opens_month_day,
            settings.locale,
        )
    t = Catalogs.load(settings.locale).translator(settings.locale)
    workbook, chart = await asyncio.gather(
        asyncio.to_thread(notice_workbook, notice, t, period_labels(notice, t)),
        asyncio.to_thread(notice_chart, notice, t, period_labels(notice, t)),
    )
    output_dir = args.output_dir or settings.reports_dir
    output_dir.mkdir(parents=True, exist_ok=True)
    xlsx = output_dir / f"notice-{notice.month}.xlsx"
    png = output_dir / f"notice-{notice.month}.png"
    units = len(notice.ranking) + len(notice.unranked)  # the ranking sheet's rows
    await record(cli, NOTICE, "xlsx+png", units, period=str(notice.month), files=(xlsx, png))
    await asyncio.to_thread(xlsx.write_bytes, workbook)
    await asyncio.to_thread(png.write_bytes, chart)
    text = html.unescape(_TAG.sub("", render_notice(notice, t)))
    sys.stdout.write(text + "\n")
    print(f"wrote {xlsx} and {png}", file=sys.stderr)
    return 0
