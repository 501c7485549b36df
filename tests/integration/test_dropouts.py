"""Dropout-case storage and service on SQLite and PostgreSQL: one open case per child,
idempotent reports, status sync with history, the counts of the monthly notice."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import FixedClock
from domain.errors import DomainError
from domain.periods import Month
from domain.roles import Role
from domain.types import CadreId, UnitId
from services.actors import Actor
from services.dropouts import (
    CaseOutcome,
    CaseWrite,
    DropoutReport,
    dropout_case_counts,
    my_cases,
    report_dropout,
    take_step,
)
from services.reports.notice import monthly_notice
from storage import dropouts as repo
from storage.models import (
    Cadre,
    DropoutCase,
    DropoutEvent,
    Household,
    LedgerChange,
    Member,
    OutboxMessage,
    Pairing,
    Township,
    Unit,
    Village,
)
from storage.notifications import Addressee, Notification, enqueue_notifications
from ui.i18n import Catalogs
from ui.views.dropouts import case_notices

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")
RENDER = case_notices(Catalogs.load("zh"), TZ)


async def _seed(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Actor]:
    async with sessionmaker() as session, session.begin():
        township = Township(code="T1", name="栋川镇")
        session.add(township)
        await session.flush()
        village = Village(code="V1", name="大村", township_id=township.id)
        section = Unit(code="JYG", name="教育股", kind="section")
        school = Unit(code="CS1", name="栋川中心校", kind="central_school", township_id=township.id)
        office = Unit(code="BGS", name="局办公室", kind="office")
        session.add_all([village, section, school, office])
        await session.flush()
        people = {
            "C1": Cadre(code="C1", name="李明", unit_id=section.id, role="cadre"),
            "C2": Cadre(code="C2", name="王芳", unit_id=section.id, role="cadre"),
            "C3": Cadre(
                code="C3", name="赵强", unit_id=school.id, role="cadre", telegram_user_id=3
            ),
            "S1": Cadre(code="S1", name="刘洋", unit_id=office.id, role="supervisor"),
        }
        session.add_all(people.values())
        await session.flush()
        household = Household(code="H001", village_id=village.id, head_name="户主1")
        session.add(household)
        await session.flush()
        session.add(Pairing(cadre_id=people["C1"].id, household_id=household.id, since=NOW))
        session.add(Member(household_id=household.id, name="小明", status="enrolled"))
    return {
        code: Actor(CadreId(c.id), code, c.name, Role(c.role), UnitId(c.unit_id), None)
        for code, c in people.items()
    }


def _xiaoming_out(reason: str, since: date) -> DropoutReport:
    """The seeded child, 小明 of H001, reported out of school."""
    return DropoutReport(reason=reason, since=since, household_code="H001", child_name="小明")


async def _report(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    report: DropoutReport,
    source: str | None = None,
) -> CaseOutcome:
    """Report in a session of its own, as the Telegram update `source` (if any) would."""
    async with sessionmaker() as session:
        return await report_dropout(
            session, actor, report, CaseWrite(FixedClock(NOW), TZ, RENDER, source)
        )


async def _count(sessionmaker: async_sessionmaker[AsyncSession], model: type) -> int:
    async with sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_one_open_case_per_child_is_enforced_by_the_database(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    actors = await _seed(sessionmaker)
    async with sessionmaker() as session, session.begin():
        member_id = (await session.execute(select(Member.id))).scalar_one()
        household_id = (await session.execute(select(Household.id))).scalar_one()
        values = {
            "member_id": member_id,
            "household_id": household_id,
            "school_unit_id": await repo.central_school_of(session, household_id),
            "reporter_id": actors["C1"].cadre_id,
            "reason": "other",
            "since": date(2026, 11, 1),
            "state": "reported",
            "reported_at": NOW,
        }
        first = await repo.add_case(session, values)
        assert first is not None
        assert await repo.add_case(session, values) is None
        assert await repo.move_case(
            session, first, "reported", {"state": "closed", "closed_at": NOW}
        )
        assert not await repo.move_case(session, first, "reported", {"state": "acknowledged"})
        assert await repo.add_case(session, values) is not None
    assert await _count(sessionmaker, DropoutCase) == 2


async def test_reports_steps_status_and_counts(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    actors = await _seed(sessionmaker)
    clock = FixedClock(NOW)
    report = _xiaoming_out("work", date(2026, 11, 20))
    outcome = await _report(sessionmaker, actors["C1"], report, "tg:1")
    assert outcome.new_case and outcome.view.row.school_name == "栋川中心校"
    case_id = outcome.view.row.id
    async with sessionmaker() as session:
        told = (await session.execute(select(OutboxMessage))).scalars().all()
    # The school (C3, the only one on Telegram) is told in the report's transaction.
    assert [(m.chat_id, m.rule, m.period) for m in told] == [(3, "case_event", str(case_id))]
    again = await _report(sessionmaker, actors["C1"], report, "tg:1")
    assert again.duplicate
    assert await _count(sessionmaker, OutboxMessage) == 1  # a redelivery tells nobody again
    second = await _report(sessionmaker, actors["C1"], report, "tg:2")
    assert not second.new_case and second.kind == "rereport"
    assert (await _count(sessionmaker, DropoutCase), await _count(sessionmaker, DropoutEvent)) == (
        1,
        2,
    )

    async with sessionmaker() as session:
        try:
            await take_step(
                session, actors["C2"], case_id, "acknowledge", CaseWrite(clock, TZ, RENDER)
            )
        except DomainError as error:
            assert error.reason == "dropout_case_hidden"
        else:
            raise AssertionError("another cadre acted on the case")
    async with sessionmaker() as session:
        assert await my_cases(session, actors["C2"], clock, TZ) == []
        assert [c.row.id for c in await my_cases(session, actors["S1"], clock, TZ)] == [case_id]

    for step, text in (("acknowledge", None), ("confirm", None), ("exempted", "重病")):
        async with sessionmaker() as session:
            await take_step(
                session, actors["C3"], case_id, step, CaseWrite(clock, TZ, RENDER), text
            )
    async with sessionmaker() as session:
        status = (await session.execute(select(Member.status))).scalar_one()
        changes = (
            await session.execute(select(LedgerChange.new_value).order_by(LedgerChange.id))
        ).scalars()
        assert status == "exempted"
        assert list(changes) == ["suspected_dropout", "dropout", "exempted"]

    async with sessionmaker() as session:
        counts = await dropout_case_counts(session, NOW, TZ)
    assert counts == {"open": 0, "overdue": 0, "reported this month": 1, "closed this month": 1}
    await _report(sessionmaker, actors["C1"], report, "tg:9")
    # Reported 2026-11-28 10:00 local: acknowledge due 12-01, overdue from 12-02 local.
    async with sessionmaker() as session:
        on_time = await dropout_case_counts(session, datetime(2026, 12, 1, 15, 59, tzinfo=UTC), TZ)
        late = await dropout_case_counts(session, datetime(2026, 12, 1, 16, 0, tzinfo=UTC), TZ)
    assert (on_time["open"], on_time["overdue"], on_time["reported this month"]) == (1, 0, 0)
    assert (late["open"], late["overdue"]) == (1, 1)


async def test_the_monthly_notice_carries_the_case_counts(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    actors = await _seed(sessionmaker)
    await _report(sessionmaker, actors["C1"], _xiaoming_out("other", date(2026, 11, 2)))
    clock = FixedClock(NOW)
    async with sessionmaker() as session:
        notice = await monthly_notice(session, Month(2026, 11), clock, TZ, (9, 1), "zh")
    assert notice.dropout_cases == {
        "open": 1,
        "overdue": 0,
        "reported this month": 1,
        "closed this month": 0,
    }
    # October's notice, counted as of October 31: nothing reported that month.
    async with sessionmaker() as session:
        october = await monthly_notice(session, Month(2026, 10), clock, TZ, (9, 1), "zh")
    assert october.dropout_cases["reported this month"] == 0


async def test_a_notification_is_written_once_per_key_in_every_part(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """(cadre, rule, case, event[.part]) is unique: writing the same event again adds nothing."""
    actors = await _seed(sessionmaker)
    parts = [Notification("part one"), Notification("part two", (((("OK", "dco:1"),)),))]
    to = Addressee(actors["C3"].cadre_id, 3)
    for expected in (2, 0):
        async with sessionmaker() as session, session.begin():
            key = ("case_event", "1", "7")
            assert await enqueue_notifications(session, to, key, parts, NOW) == expected
    async with sessionmaker() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        assert [(r.occurrence, r.text, r.buttons) for r in rows] == [
            ("7", "part one", "[]"),
            ("7.1", "part two", '[[["OK", "dco:1"]]]'),
        ]


async def test_the_notice_counts_cases_as_of_its_month(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """A case reported on 2026-11-28 is not in October's notice; closed on 2026-12-03, it is
    still open at November's end, and counted as closed in December."""
    actors = await _seed(sessionmaker)
    outcome = await _report(sessionmaker, actors["C1"], _xiaoming_out("work", date(2026, 11, 20)))
    case_id = outcome.view.row.id
    none = {"open": 0, "overdue": 0, "reported this month": 0, "closed this month": 0}
    async with sessionmaker() as session:
        october = await monthly_notice(session, Month(2026, 10), FixedClock(NOW), TZ, (9, 1), "zh")
    assert october.dropout_cases == none
    # 2026-12-03 10:00 local: acknowledged (2 days late) and closed the same day.
    december_3 = FixedClock(datetime(2026, 12, 3, 2, 0, tzinfo=UTC))
    for step in ("acknowledge", "not_a_dropout"):
        async with sessionmaker() as session:
            await take_step(session, actors["C3"], case_id, step, CaseWrite(december_3, TZ, RENDER))
    december_5 = FixedClock(datetime(2026, 12, 5, 2, 0, tzinfo=UTC))
    async with sessionmaker() as session:
        november = await monthly_notice(session, Month(2026, 11), december_5, TZ, (9, 1), "zh")
        december = await monthly_notice(session, Month(2026, 12), december_5, TZ, (9, 1), "zh")
    # At November's end it was open and waiting for the school (acknowledge due 12-01).
    assert november.dropout_cases == {**none, "open": 1, "reported this month": 1}
    assert december.dropout_cases == {**none, "closed this month": 1}
    # As of 2026-12-02 (local) it was open, still not acknowledged, and overdue.
    async with sessionmaker() as session:
        counts = await dropout_case_counts(session, datetime(2026, 12, 2, 8, 0, tzinfo=UTC), TZ)
    assert (counts["open"], counts["overdue"]) == (1, 1)
