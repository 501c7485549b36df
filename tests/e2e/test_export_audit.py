"""The export audit in chat, through the real Dispatcher: each file the bot sends and each
ledger a supervisor opens of a household they do not hold writes exactly one row (who,
which account, what, scope, rows); a refused request and a holder's own ledger write none.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from storage.models import ExportAudit, Member
from tests.e2e.conftest import CADRE_TG, NOW, OTHER_CADRE_TG, SUPERVISOR_TG, Harness
from tests.e2e.db_reads import rows_of
from ui.actions import LedgerOpen, NoticeFiles
from ui.refusals import REFUSALS


@pytest.fixture(params=["sqlite", "postgresql"])
def bot(request: pytest.FixtureRequest) -> Harness:
    """The bot on a SQLite file, or on a fresh PostgreSQL database (skipped if none)."""
    fixture = "harness" if request.param == "sqlite" else "pg_harness"
    harness: Harness = request.getfixturevalue(fixture)
    return harness


async def _audit(h: Harness) -> list[ExportAudit]:
    return list(await rows_of(h, ExportAudit))


def _who_what(row: ExportAudit) -> tuple[object, ...]:
    return (
        row.channel,
        row.actor,
        row.actor_telegram_id,
        row.what,
        row.scope,
        row.period,
        row.format,
        row.rows,
        row.file_name,
        row.exported_at,
    )


async def test_the_notice_files_write_one_row_each_time_they_are_sent(bot: Harness) -> None:
    await bot.register_all({CADRE_TG: "C1", SUPERVISOR_TG: "S1"})
    [refused] = await bot.say(CADRE_TG, "/notice")  # a cadre: refused, nothing exported
    assert refused["text"] == bot.zh(REFUSALS["notice_supervisors_only"])
    assert await _audit(bot) == []

    text, document, _photo = await bot.say(SUPERVISOR_TG, "/notice", count=3)
    assert document["document"]["file_name"] == "notice-2026-11.xlsx"
    [row] = await _audit(bot)
    # Ranked: 栋川中心校 and 教育股 (paired households); 局办公室 has no pairing duty.
    assert _who_what(row) == (
        "chat",
        "S1",
        SUPERVISOR_TG,
        "notice",
        "county",
        "2026-11",
        "xlsx+png",
        2,
        "notice-2026-11.xlsx, notice-2026-11.png",
        NOW,
    )

    # The button under the scheduled notice sends the files again: a second export.
    data = NoticeFiles(month="2026-10").pack()
    update = bot.api.get_user(SUPERVISOR_TG).forge_callback(text["message_id"], data)
    await bot.api.wait_for_callback_answer(update)
    document, _photo = await bot.api.wait_for_messages(SUPERVISOR_TG, count=2)
    assert document["document"]["file_name"] == "notice-2026-10.xlsx"
    first, second = await _audit(bot)
    assert _who_what(first) == _who_what(row)  # unchanged
    assert (second.actor, second.what, second.period) == ("S1", "notice", "2026-10")

    # The same button forged by a cadre is refused by the notice's rule: no row.
    [own] = await bot.say(CADRE_TG, "/mystatus")
    update = bot.api.get_user(CADRE_TG).forge_callback(own["message_id"], data)
    answer = await bot.api.wait_for_callback_answer(update)
    assert answer["text"] == bot.zh(REFUSALS["notice_supervisors_only"])[:200]
    assert len(await _audit(bot)) == 2


async def test_a_supervisor_s_ledger_view_is_recorded_the_holder_s_is_not(bot: Harness) -> None:
    ids = await bot.household_ids()
    async with bot.app.sessionmaker() as session, session.begin():
        session.add_all(
            Member(household_id=ids["H001"], name=name, birth_date=date(born, 3, 1))
            for name, born in (("小明", 2015), ("老李", 1975), ("小红", 2012))
        )
    await bot.register_all({CADRE_TG: "C1", OTHER_CADRE_TG: "C2", SUPERVISOR_TG: "S1"})

    [own] = await bot.say(CADRE_TG, "/ledger H001")  # the holder at work: not an export
    assert "小明" in own["text"]
    [refused] = await bot.say(OTHER_CADRE_TG, "/ledger H001")  # not C2's: refused
    assert refused["text"] == bot.zh(REFUSALS["not_your_household"], code="H001")
    assert await _audit(bot) == []

    [view] = await bot.say(SUPERVISOR_TG, "/ledger h001")
    assert "小明" in view["text"]
    [row] = await _audit(bot)
    assert _who_what(row) == (
        "chat",
        "S1",
        SUPERVISOR_TG,
        "ledger",
        "H001",
        "2026",
        "text",
        3,
        None,
        NOW,
    )

    # A ledger opened by its button (any household id) is recorded the same way.
    update = bot.api.get_user(SUPERVISOR_TG).forge_callback(
        view["message_id"], LedgerOpen(household_id=ids["H005"]).pack()
    )
    await bot.api.wait_for_callback_answer(update)
    [other] = await bot.api.wait_for_messages(SUPERVISOR_TG)
    assert "H005" in other["text"]
    rows = await _audit(bot)
    assert [(r.actor, r.what, r.scope, r.rows) for r in rows] == [
        ("S1", "ledger", "H001", 3),
        ("S1", "ledger", "H005", 0),
    ]
    # The same button forged by a cadre for someone else's household: refused, no row.
    update = bot.api.get_user(CADRE_TG).forge_callback(
        own["message_id"], LedgerOpen(household_id=ids["H005"]).pack()
    )
    answer = await bot.api.wait_for_callback_answer(update)
    assert answer["text"] == bot.zh(REFUSALS["household_not_yours"])[:200]
    async with bot.app.sessionmaker() as session:
        count = len((await session.execute(select(ExportAudit.id))).all())
    assert count == 2
