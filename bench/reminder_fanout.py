"""Reminder fan-out through the outbox sender, against raw aiogram sends on the same server.

    .venv/bin/python -m bench.reminder_fanout [--limited 3000] [--rate 30] [--unlimited 10000]
                                              [--postgres ADMIN_URL]

Each run starts a fresh fake Bot API server and a database holding one registered cadre per
reminder (each with one household not yet visited this quarter, so the "still owed?" check
before each send is real). The outbox rows are written first; the timer covers the sender
only: claiming rows, the still-owed check, the send over HTTP and marking each row sent.

- limited: the sender at --rate messages/s; achieved rate = messages / time between the
  first and the last send; every row must end 'sent' and every chat hold exactly one message.
- unlimited: no rate limit: the sender's own ceiling with its database work.
- baseline: the same number of bare `bot.send_message` calls, a batch at a time, on the same
  kind of server, no database: what aiogram and the fake server cost on their own.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bench.common import Run, bot_for, throwaway_postgres
from bot.telegram import ReplyGuard
from domain.clock import FixedClock
from fakeapi.server import FakeBotAPI
from reminders.rules import RuleContext
from reminders.sender import Sender, SenderSettings
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import Cadre, Household, OutboxMessage, Pairing, Township, Unit, Village
from ui.i18n import Catalogs

TOKEN = "424242:bench-reminders"
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, outside quiet hours
CHAT_BASE = 800_000
BATCH = 500


@dataclass(frozen=True)
class Result(Run):
    """A run whose `updates` are the messages sent, and whether each chat got exactly one."""

    delivered_once: bool


async def _seed(url: str, count: int) -> None:
    await upgrade(url)
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            township = Township(code="T1", name="栋川镇")
            session.add(township)
            await session.flush()
            village = Village(code="V1", name="大村", township_id=township.id, poor=True)
            unit = Unit(code="U1", name="教育股", kind="section")
            session.add_all([village, unit])
            await session.flush()
            ids = range(1, count + 1)
            await session.execute(
                insert(Cadre),
                [
                    {
                        "id": n,
                        "code": f"C{n:05d}",
                        "name": f"干部{n}",
                        "unit_id": unit.id,
                        "role": "cadre",
                        "telegram_user_id": CHAT_BASE + n,
                        "active": True,
                    }
                    for n in ids
                ],
            )
            await session.execute(
                insert(Household),
                [
                    {
                        "id": n,
                        "code": f"H{n:05d}",
                        "village_id": village.id,
                        "head_name": f"户主{n}",
                    }
                    for n in ids
                ],
            )
            since = datetime(2026, 1, 1, tzinfo=UTC)
            await session.execute(
                insert(Pairing),
                [{"cadre_id": n, "household_id": n, "since": since} for n in ids],
            )
            await session.execute(
                insert(OutboxMessage),
                [
                    {
                        "cadre_id": n,
                        "chat_id": CHAT_BASE + n,
                        "rule": "household_visit",
                        "period": "2026-Q4",
                        "occurrence": "2026-12-01",
                        "text": f"⏰ 您有 1 户在 2026-Q4 尚未走访：H{n:05d} 户主{n}。",
                        "buttons": f'[["✅ 今天已走访 H{n:05d}", "stv:{n}"]]',
                        "state": "pending",
                        "attempts": 0,
                        "not_before": NOW,
                        "created_at": NOW,
                    }
                    for n in ids
                ],
            )
    finally:
        await engine.dispose()


@asynccontextmanager
async def _database(postgres_admin: str | None) -> AsyncIterator[str]:
    if postgres_admin:
        async with throwaway_postgres(postgres_admin) as url:
            yield url
    else:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{Path(folder)}/bench.sqlite3"


def _server(count: int) -> FakeBotAPI:
    api = FakeBotAPI(token=TOKEN)
    for n in range(1, count + 1):
        api.user(CHAT_BASE + n, f"user{n}")
    return api


async def sender_run(name: str, count: int, rate: float | None, postgres: str | None) -> Result:
    async with _database(postgres) as url:
        await _seed(url, count)
        api = _server(count)
        base_url = await api.start()
        bot = bot_for(base_url, TOKEN)
        bot.session.middleware(ReplyGuard())  # as build_bot's Bot, which the sender uses
        engine = make_engine(url)
        sessionmaker = make_sessionmaker(engine)
        context = RuleContext(ZoneInfo("Asia/Shanghai"), Catalogs.load("zh"), (9, 1))
        sender = Sender(
            bot,
            sessionmaker,
            FixedClock(NOW),
            context,
            SenderSettings(rate=rate, per_chat_interval=1.0, quiet=None, batch=BATCH),
        )
        try:
            started = time.perf_counter()
            while sender.sent < count:
                if not await sender.run_once():
                    break
            elapsed = time.perf_counter() - started
            sends = [c.time for c in api.calls_of("sendMessage") if c.status == 200]
            per_chat = [len(api.messages_to(CHAT_BASE + n)) for n in range(1, count + 1)]
            once = per_chat == [1] * count and sender.sent == count
            # For a rate-limited run the rate is what Telegram would see: first to last send.
            seconds = (max(sends) - min(sends)) * count / (count - 1) if rate else elapsed
        finally:
            await bot.session.close()
            await api.stop()
            await engine.dispose()
    return Result(name, count, seconds, once)


async def baseline_run(count: int) -> Result:
    api = _server(count)
    base_url = await api.start()
    bot = bot_for(base_url, TOKEN)
    try:
        started = time.perf_counter()
        for first in range(1, count + 1, BATCH):
            chunk = range(first, min(first + BATCH, count + 1))
            await asyncio.gather(*(bot.send_message(CHAT_BASE + n, f"reminder {n}") for n in chunk))
        elapsed = time.perf_counter() - started
        once = all(len(api.messages_to(CHAT_BASE + n)) == 1 for n in range(1, count + 1))
    finally:
        await bot.session.close()
        await api.stop()
    return Result(f"raw aiogram sends, {BATCH} at a time (no database)", count, elapsed, once)


async def main(limited: int, rate: float, unlimited: int, postgres: str | None) -> None:
    backend = "PostgreSQL" if postgres else "SQLite"
    baseline = await baseline_run(unlimited)
    ceiling = await sender_run(f"outbox sender, no limit ({backend})", unlimited, None, postgres)
    limited_run = await sender_run(
        f"outbox sender, limit {rate:g}/s ({backend})", limited, rate, postgres
    )
    print(f"\nReminder fan-out through the fake Bot API, {datetime.now(UTC):%Y-%m-%d}")
    print("| run | messages | seconds | messages/s | ratio to raw sends | each once |")
    print("|---|---:|---:|---:|---:|---|")
    for result in (baseline, ceiling, limited_run):
        print(
            f"| {result.name} | {result.updates} | {result.seconds:.2f} | {result.rate:.0f} | "
            f"{result.rate / baseline.rate:.2f} | {'yes' if result.delivered_once else 'NO'} |"
        )
    deviation = abs(limited_run.rate - rate) / rate
    print(
        f"\nlimited run: {limited_run.rate:.2f}/s against a limit of {rate:g}/s "
        f"({100 * deviation:.1f}% off; the aim is within 5%)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limited", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--unlimited", type=int, default=10000)
    parser.add_argument("--postgres", help="PostgreSQL admin URL (default: SQLite)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.limited, arguments.rate, arguments.unlimited, arguments.postgres))
