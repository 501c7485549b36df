"""Files the bot sends in chat: made, recorded in the export audit, then handed to the
caller to send (after the audit row is committed, as every reply follows its commit)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit import NOTICE, WHOLE_COUNTY
from domain.clock import Clock
from services.actors import Actor
from services.audit import chat_export, record_export
from services.files.notice import Translate, notice_chart, notice_workbook
from services.reports.notice import MonthlyNotice, PeriodLabels


@dataclass(frozen=True)
class NoticeFiles:
    """The monthly notice's workbook and ranking chart, with the names they are sent under."""

    workbook: bytes
    workbook_name: str
    chart: bytes
    chart_name: str


async def notice_files(
    session: AsyncSession,
    actor: Actor,
    notice: MonthlyNotice,
    t: Translate,
    labels: PeriodLabels,
    clock: Clock,
) -> NoticeFiles:
    """Both files, built in threads (CPU work off the event loop); one audit row for the
    pair (the rows: the units of the ranking sheet)."""
    workbook, chart = await asyncio.gather(
        asyncio.to_thread(notice_workbook, notice, t, labels),
        asyncio.to_thread(notice_chart, notice, t, labels),
    )
    files = NoticeFiles(
        workbook, f"notice-{notice.month}.xlsx", chart, f"notice-{notice.month}.png"
    )
    units = len(notice.ranking) + len(notice.unranked)
    export = chat_export(
        actor,
        clock.now(),
        NOTICE,
        WHOLE_COUNTY,
        "xlsx+png",
        units,
        period=str(notice.month),
        file_name=f"{files.workbook_name}, {files.chart_name}",
    )
    await record_export(session, export)
    return files
