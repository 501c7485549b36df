"""An update is confirmed only when handled or failed for good: one-line visits streamed in
while the database connection is dropped again and again are all written once and answered
once (before, the poller logged the failure and confirmed the update: the visit was lost)."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url

from storage.models import Household, HouseholdVisit
from tests.e2e.conftest import CADRE_TG, HEAD_TG, OTHER_CADRE_TG, Harness
from tests.postgres import pg_admin

# Who logs which households (the seeded pairings) and on which days (within back-dating).
CADRES = {CADRE_TG: "C1", OTHER_CADRE_TG: "C2", HEAD_TG: "C3"}
HOUSEHOLDS = {
    CADRE_TG: ("H001", "H002", "H003", "H004"),
    OTHER_CADRE_TG: ("H005", "H006"),
    HEAD_TG: ("H007", "H008"),
}
DAYS = [date(2026, 11, 28) - timedelta(days=n) for n in range(25)]
REPLY = re.compile(r"(H\d{3}).*?(\d{4})年(\d{1,2})月(\d{1,2})日", re.S)  # the date as shown


def _code_and_day(text: str) -> tuple[str, str]:
    """The household code and the visit date (ISO) of a reply."""
    code, year, month, day = REPLY.search(text).groups()  # type: ignore[union-attr]
    return code, f"{year}-{int(month):02d}-{int(day):02d}"


def visit_lines() -> dict[int, list[tuple[str, str]]]:
    """Each person's (household, date) pairs, interleaved so chats alternate."""
    return {
        tg: [(code, day.isoformat()) for day in DAYS for code in codes]
        for tg, codes in HOUSEHOLDS.items()
    }


async def stream_visits(harness: Harness, fault: Callable[[], Any], faults: int) -> int:
    """Send every one-line visit, calling `fault` `faults` times while replies come in;
    returns how many faults hit something. Waits until every update was confirmed."""
    await harness.register_all(CADRES)
    lines = visit_lines()
    total = sum(len(pairs) for pairs in lines.values())
    users = {tg: harness.api.get_user(tg) for tg in lines}
    for n in range(max(len(pairs) for pairs in lines.values())):
        for tg, pairs in lines.items():
            if n < len(pairs):
                users[tg].send_text(f"/visit {pairs[n][0]} {pairs[n][1]}")

    def replies() -> int:
        return sum(len(harness.api.messages_to(tg)) - 1 for tg in lines)  # minus /start's

    hits = 0
    for n in range(faults):
        # Spread the faults over the stream: each waits for a further share of the replies.
        target = total * (n + 1) // (faults + 2)
        for _ in range(2000):
            if replies() >= target:
                break
            await asyncio.sleep(0.005)
        hits += bool(await fault())
    for tg, pairs in lines.items():
        await harness.api.wait_for_messages(tg, count=len(pairs), timeout=60)
    await harness.api.wait_idle(timeout=30)
    return hits


async def assert_each_visit_once_and_answered_once(harness: Harness) -> None:
    lines = visit_lines()
    async with harness.app.sessionmaker() as session:
        rows = (
            await session.execute(
                select(Household.code, HouseholdVisit.visit_date).join(
                    Household, Household.id == HouseholdVisit.household_id
                )
            )
        ).all()
    written = Counter((code, day.isoformat()) for code, day in rows)
    expected = Counter(pair for pairs in lines.values() for pair in pairs)
    assert written == expected  # every visit, none twice
    for tg, pairs in lines.items():
        answers = harness.api.messages_to(tg)[1:]
        odd = [m["text"] for m in answers if not REPLY.search(m["text"])]
        assert not odd, odd
        seen = Counter(_code_and_day(m["text"]) for m in answers)
        assert seen == Counter(pairs), f"chat {tg}: one reply per update"


async def test_postgres_dropped_connections_lose_no_visit(pg_harness: Harness) -> None:
    harness = pg_harness
    name = make_url(harness.app.settings.database_url).database

    async def terminate_backends() -> int:
        """Drop every connection the bot has to its database (as a failover would)."""
        engine_url = harness.app.settings.database_url
        assert name and name in engine_url
        statement = (
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )
        await pg_admin(statement)
        return 1

    hits = await stream_visits(harness, terminate_backends, faults=6)
    assert hits == 6
    await assert_each_visit_once_and_answered_once(harness)


async def test_sqlite_closed_connections_lose_no_visit(harness: Harness) -> None:
    """SQLite has no server to drop the connection; the driver's connection is closed under
    the bot instead, mid-transaction, before every 37th statement of a visit's handling."""
    statements = Counter[str]()

    @event.listens_for(harness.app.engine.sync_engine, "before_cursor_execute")
    def close_now_and_then(conn: Any, _cursor: Any, _statement: str, *_args: Any) -> None:
        statements["all"] += 1
        if statements["all"] % 37 == 0:
            statements["closed"] += 1
            conn.connection.dbapi_connection.close()

    async def nothing() -> int:
        return 0

    await stream_visits(harness, nothing, faults=0)
    assert statements["closed"] >= 5
    await assert_each_visit_once_and_answered_once(harness)
    async with harness.app.sessionmaker() as session:  # the closed connection was replaced
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
