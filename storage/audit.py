"""The export audit: add a row, list rows. Nothing here changes or deletes one (and the
database refuses it: migration 0008)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit import Export
from storage.models import Cadre, ExportAudit


@dataclass(frozen=True)
class AuditRow:
    """One recorded export, as listed."""

    id: int
    exported_at: datetime
    channel: str
    actor: str
    actor_telegram_id: int | None
    what: str
    scope: str
    period: str | None
    format: str
    rows: int
    file_name: str | None


async def add_export(session: AsyncSession, export: Export) -> None:
    """Insert the row; in chat the cadre's Telegram account is read in the same statement."""
    telegram_id = (
        None
        if export.cadre_id is None
        else select(Cadre.telegram_user_id).where(Cadre.id == export.cadre_id).scalar_subquery()
    )
    await session.execute(
        insert(ExportAudit).values(
            exported_at=export.at,
            channel=export.channel,
            actor=export.actor[:100],
            actor_telegram_id=telegram_id,
            what=export.what,
            scope=export.scope[:200],
            period=export.period,
            format=export.format,
            rows=export.rows,
            file_name=export.file_name,
        )
    )


async def exports_since(session: AsyncSession, since: datetime) -> list[AuditRow]:
    """Every export at or after `since`, oldest first."""
    rows = await session.execute(
        select(
            ExportAudit.id,
            ExportAudit.exported_at,
            ExportAudit.channel,
            ExportAudit.actor,
            ExportAudit.actor_telegram_id,
            ExportAudit.what,
            ExportAudit.scope,
            ExportAudit.period,
            ExportAudit.format,
            ExportAudit.rows,
            ExportAudit.file_name,
        )
        .where(ExportAudit.exported_at >= since)
        .order_by(ExportAudit.exported_at, ExportAudit.id)
    )
    return [AuditRow(*row) for row in rows]
