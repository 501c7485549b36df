"""/metrics after a flow through the real Dispatcher: every counter moved by exactly what
happened (the updates sent, the Bot API calls the fake server answered, a 429 and a 403 it
was told to answer), the outbox gauges read from the database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from storage.models import Cadre, OutboxMessage
from tests.e2e.conftest import CADRE_TG, NOW
from tests.e2e.monitoring_helpers import (
    counted_calls,
    delta,
    monitored_bot,
    recorded_calls,
    scrape,
    value,
)

UPDATES = "cadrebot_updates_total"
LATENCY_COUNT = "cadrebot_update_duration_seconds_count"
API = "cadrebot_bot_api_requests_total"


async def test_counters_move_by_exactly_what_the_flow_did(tmp_path: Path) -> None:
    async with monitored_bot(f"sqlite+aiosqlite:///{tmp_path}/m.sqlite3") as monitored:
        bot, api = monitored.harness, monitored.harness.api
        calls_before = len(api.calls)
        before = await scrape(monitored.url)

        await bot.register(CADRE_TG, "C1")  # /start CODE: ok
        await bot.say(CADRE_TG, "/visit H001 2026-11-27")  # ok
        await bot.say(CADRE_TG, "/visit H005 2026-11-27")  # another's household: refused
        api.fail_next("sendMessage", 429, retry_after=1, chat_id=CADRE_TG)
        await bot.say(CADRE_TG, "/visit H002 2026-11-27")  # the reply retried: ok
        api.fail_next("sendMessage", 403, chat_id=CADRE_TG)
        await bot.say(CADRE_TG, "/visit H003 2026-11-27")  # its reply refused: error, told
        [picker] = await bot.say(CADRE_TG, "/visit")  # ok
        api.get_user(CADRE_TG).press(
            picker, picker["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        )  # a callback query: ok
        await api.wait_for_edit(CADRE_TG, picker["message_id"])
        await api.wait_idle()
        after = await scrape(monitored.url)
        served = recorded_calls(api.calls[calls_before:])

    def moved(kind: str, outcome: str) -> float:
        return delta(after, before, UPDATES, county="", kind=kind, outcome=outcome)

    assert moved("message", "ok") == 4
    assert moved("message", "refused") == 1
    assert moved("message", "error") == 1
    assert moved("callback_query", "ok") == 1
    for outcome in ("unhandled", "retry", "duplicate"):
        assert moved("message", outcome) == moved("callback_query", outcome) == 0
    assert delta(after, before, LATENCY_COUNT, county="", kind="message") == 6
    assert delta(after, before, LATENCY_COUNT, county="", kind="callback_query") == 1

    # Each Bot API call the fake answered, counted once under its method and result.
    assert counted_calls(after, before) == served
    assert delta(after, before, API, county="", method="sendMessage", result="429") == 1
    assert delta(after, before, API, county="", method="sendMessage", result="403") == 1
    # Replies: 6 messages answered (the 429'd one once it went through), the 403'd one's
    # failure notice instead of its reply.
    assert delta(after, before, API, county="", method="sendMessage", result="ok") == 6
    assert served[("editMessageText", "ok")] >= 1
    assert value(after, "cadrebot_db_pool_connections", state="idle") >= 1


async def test_outbox_gauges_show_rows_by_state_and_the_oldest_sendable_age(
    tmp_path: Path,
) -> None:
    async with monitored_bot(f"sqlite+aiosqlite:///{tmp_path}/o.sqlite3") as monitored:
        before = await scrape(monitored.url)
        assert value(before, "cadrebot_outbox_messages", county="", state="pending") == 0
        assert value(before, "cadrebot_outbox_oldest_pending_age_seconds", county="") == 0
        async with monitored.harness.app.sessionmaker() as session, session.begin():
            cadre = (await session.execute(select(Cadre).where(Cadre.code == "C1"))).scalar_one()

            def row(period: str, state: str, due_ago: timedelta) -> OutboxMessage:
                return OutboxMessage(
                    cadre_id=cadre.id,
                    chat_id=CADRE_TG,
                    rule="village_visit",
                    period=period,
                    occurrence="1",
                    text="reminder",
                    buttons="[]",
                    state=state,
                    attempts=0,
                    not_before=NOW - due_ago,
                    created_at=NOW - due_ago,
                )

            # 10:00 in Shanghai: no quiet hours now; the oldest pending one was due at 08:00.
            session.add_all(
                [
                    row("a", "pending", timedelta(hours=2)),
                    row("b", "pending", timedelta(minutes=5)),
                    row("c", "pending", -timedelta(hours=1)),  # not due yet
                    row("d", "sent", timedelta(days=1)),
                    row("e", "failed", timedelta(days=3)),
                ]
            )
        after = await scrape(monitored.url)
    states = {"pending": 3, "sending": 0, "sent": 1, "dropped": 0, "unreachable": 0, "failed": 1}
    for state, count in states.items():
        assert value(after, "cadrebot_outbox_messages", county="", state=state) == count
    assert value(after, "cadrebot_outbox_oldest_pending_age_seconds", county="") == 7200
