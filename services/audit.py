"""What the export audit records, and when: the one place that decides it.

Every report of the command line is an export (its command records it: `bot/cli/exported.py`);
in chat, every file the bot sends (the monthly notice's workbook and chart:
`services/chat_exports.py`) and every ledger a supervisor opens of a household they do not
hold (`services/ledgers.py`). A refused request exports nothing and records nothing: the
row is written once the export is made, before it is handed over, so nothing leaves
without its row.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit import CHAT, LEDGER, Export
from services.actors import Actor
from services.transaction import unit_of_work
from storage.audit import AuditRow, add_export, exports_since


async def record_export(session: AsyncSession, export: Export) -> None:
    """One audit row, in its own transaction (or the calling service's)."""
    async with unit_of_work(session):
        await add_export(session, export)


def chat_export(
    actor: Actor,
    at: datetime,
    what: str,
    scope: str,
    fmt: str,
    rows: int,
    *,
    period: str | None = None,
    file_name: str | None = None,
) -> Export:
    """An export to a cadre's chat: their code, and their Telegram account beside it."""
    return Export(
        at=at,
        channel=CHAT,
        actor=actor.code,
        what=what,
        scope=scope,
        format=fmt,
        rows=rows,
        period=period,
        file_name=file_name,
        cadre_id=actor.cadre_id,
    )


async def note_ledger_view(
    session: AsyncSession,
    actor: Actor,
    at: datetime,
    *,
    holder_cadre_id: int | None,
    household_code: str,
    members: int,
    year: int,
) -> None:
    """A ledger read by someone who does not hold the household (a supervisor) is an export
    of its members' data; the holder reading their own is their work. Joins the caller's
    transaction: the row and the read commit together."""
    if holder_cadre_id == actor.cadre_id:
        return
    export = chat_export(actor, at, LEDGER, household_code, "text", members, period=str(year))
    await record_export(session, export)


async def exports_from(session: AsyncSession, since: date, tz: ZoneInfo) -> list[AuditRow]:
    """The exports from the start of `since` (a local day in the plan's zone), oldest first."""
    async with unit_of_work(session):
        return await exports_since(session, datetime.combine(since, time(), tzinfo=tz))
