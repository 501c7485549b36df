"""The export audit at the database, on SQLite and PostgreSQL: rows are added and listed
from a local day; the database itself refuses to change or delete one (migration 0008)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.audit import CLI, COMPLIANCE, LEDGER, Export
from domain.roles import Role
from domain.types import CadreId, UnitId
from services.actors import Actor
from services.audit import chat_export, exports_from, record_export
from storage.models import Cadre, ExportAudit, Unit

Maker = async_sessionmaker[AsyncSession]
SHANGHAI = ZoneInfo("Asia/Shanghai")
# 23:59 and 00:00 in Shanghai: the 27th and the 28th of November.
LATE_ON_27TH = datetime(2026, 11, 27, 15, 59, tzinfo=UTC)
START_OF_28TH = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def _cli(at: datetime, rows: int = 12) -> Export:
    return Export(
        at=at,
        channel=CLI,
        actor="auditor",
        what=COMPLIANCE,
        scope="county",
        format="csv",
        rows=rows,
        period="2026-Q4",
    )


async def _supervisor(sessionmaker: Maker) -> Actor:
    async with sessionmaker() as session, session.begin():
        unit = Unit(code="BGS", name="局办公室", kind="office")
        session.add(unit)
        await session.flush()
        cadre = Cadre(code="S1", name="刘洋", unit_id=unit.id, role="supervisor")
        cadre.telegram_user_id = 4242
        session.add(cadre)
        await session.flush()
        return Actor(CadreId(cadre.id), "S1", "刘洋", Role.SUPERVISOR, UnitId(unit.id), None)


async def test_rows_are_listed_from_the_start_of_a_local_day(sessionmaker: Maker) -> None:
    supervisor = await _supervisor(sessionmaker)
    async with sessionmaker() as session:
        await record_export(session, _cli(LATE_ON_27TH))
        await record_export(
            session, chat_export(supervisor, START_OF_28TH, LEDGER, "H001", "text", 3)
        )
    async with sessionmaker() as session:
        listed = await exports_from(session, date(2026, 11, 28), SHANGHAI)
        everything = await exports_from(session, date(2026, 11, 27), SHANGHAI)
    assert [(r.what, r.actor, r.actor_telegram_id, r.scope, r.rows) for r in listed] == [
        (LEDGER, "S1", 4242, "H001", 3)  # the account read from the roster with the insert
    ]
    assert listed[0].exported_at == START_OF_28TH
    assert [r.what for r in everything] == [COMPLIANCE, LEDGER]
    assert everything[0].actor_telegram_id is None  # the command line has no account


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE export_audit SET rows = 0",
        "UPDATE export_audit SET actor = 'someone else' WHERE id = 1",
        "DELETE FROM export_audit",
        "DELETE FROM export_audit WHERE id = 1",
    ],
)
async def test_the_database_refuses_to_change_or_delete_a_row(
    sessionmaker: Maker, change: str
) -> None:
    async with sessionmaker() as session:
        await record_export(session, _cli(START_OF_28TH))
    with pytest.raises(IntegrityError, match="export_audit rows are insert only"):
        async with sessionmaker() as session, session.begin():
            await session.execute(text(change))
    async with sessionmaker() as session:
        [row] = (await session.execute(select(ExportAudit))).scalars()
    assert (row.id, row.actor, row.rows) == (1, "auditor", 12)


async def test_the_orm_cannot_change_or_delete_a_row_either(sessionmaker: Maker) -> None:
    async with sessionmaker() as session:
        await record_export(session, _cli(START_OF_28TH))
    for statement in (update(ExportAudit).values(rows=1), delete(ExportAudit)):
        with pytest.raises(IntegrityError):
            async with sessionmaker() as session, session.begin():
                await session.execute(statement)
    async with sessionmaker() as session, session.begin():
        row = (await session.execute(select(ExportAudit))).scalar_one()
        row.scope = "nowhere"
        with pytest.raises(IntegrityError):
            await session.flush()
    async with sessionmaker() as session:
        assert (await session.execute(select(ExportAudit.scope))).scalar_one() == "county"
