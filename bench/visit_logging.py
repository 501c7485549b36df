"""One-line visit logging through the fake Bot API server, against an aiogram echo bot.

    .venv/bin/python -m bench.visit_logging [--updates 2000] [--repeat 3] [--postgres ADMIN_URL]

Both bots run in this process against their own instance of our fake Bot API server, over
real HTTP. The echo bot answers each text with the same text; cadrebot parses
`/visit CODE DATE`, checks the pairing and the date rules, inserts the visit (a new row each
time) and answers. Figures are updates handled per second (the median of --repeat runs) and
the ratio to the echo bot. With --postgres, a throw-away database is created through that
admin URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres) and dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from aiogram import Dispatcher
from aiogram.types import Message

from bench.common import (
    Polling,
    Run,
    aiogram_polling,
    bot_for,
    cadre_holdings,
    median_of,
    print_table,
    throwaway_postgres,
    timed_polling,
)
from bot.app import build_app
from bot.settings import load_settings
from domain.clock import FixedClock
from fakeapi.server import FakeBotAPI
from services.demo.county import load_demo
from services.registration import issue_invite, redeem_invite
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade

TOKEN = "424242:bench-token"
NOW = datetime(2026, 11, 28, 2, tzinfo=UTC)
ACCOUNT_BASE = 700_000


async def echo_run(updates: int, users: int, *, handle_as_tasks: bool) -> Run:
    api = FakeBotAPI(token=TOKEN)
    url = await api.start()
    bot = bot_for(url, TOKEN)
    dispatcher = Dispatcher()

    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dispatcher.message.register(echo)
    people = [api.user(ACCOUNT_BASE + n, f"u{n}") for n in range(users)]

    def enqueue() -> int:
        for n in range(updates):
            people[n % users].send_text(f"/visit H{n:05d} 2026-11-20 echo")
        return updates

    name = "echo (as tasks)" if handle_as_tasks else "echo (sequential)"
    try:
        polling = aiogram_polling(bot, dispatcher, handle_as_tasks=handle_as_tasks)
        return await timed_polling(name, api, polling, enqueue)
    finally:
        await bot.session.close()
        await api.stop()


async def prepare_database(url: str) -> list[tuple[int, list[str]]]:
    """Demo county (medium); every cadre with households registered through an invite."""
    await upgrade(url)
    engine = make_engine(url)
    clock = FixedClock(NOW - timedelta(days=60))
    try:
        sessionmaker = make_sessionmaker(engine)
        await load_demo(sessionmaker, "medium", clock, ZoneInfo("Asia/Shanghai"))
        holdings = await cadre_holdings(sessionmaker)
        accounts: list[tuple[int, list[str]]] = []
        for (cadre_id, cadre_code), households in holdings.items():
            async with sessionmaker() as session:
                issued = await issue_invite(session, cadre_code, clock, 7)
                await redeem_invite(session, ACCOUNT_BASE + cadre_id, issued.code, clock)
            accounts.append((ACCOUNT_BASE + cadre_id, households))
        return accounts
    finally:
        await engine.dispose()


async def cadrebot_run(updates: int, database_url: str, name: str) -> Run:
    accounts = await prepare_database(database_url)
    api = FakeBotAPI(token=TOKEN)
    url = await api.start()
    settings = load_settings(
        BOT_TOKEN=TOKEN, TELEGRAM_API_URL=url, DATABASE_URL=database_url, _env_file=None
    )
    app = await build_app(settings, clock=FixedClock(NOW))
    people = {account: api.user(account, f"c{account}") for account, _ in accounts}
    # Distinct (household, day) pairs, so every update inserts a new visit row.
    pairs = itertools.cycle(
        (account, household) for account, households in accounts for household in households
    )
    days = [(NOW - timedelta(days=d)).date().isoformat() for d in range(30)]

    def enqueue() -> int:
        seen: set[tuple[str, str]] = set()
        for n in range(updates):
            account, household = next(pairs)
            day = days[(n // len(accounts)) % len(days)]
            while (household, day) in seen:
                day = days[(days.index(day) + 1) % len(days)]
            seen.add((household, day))
            people[account].send_text(f"/visit {household} {day} bench")
        return updates

    try:

        async def start() -> None:
            await app.poller.run()

        async def stop() -> None:
            app.poller.stop()

        return await timed_polling(name, api, Polling(start, stop), enqueue)
    finally:
        await app.close()
        await api.stop()


async def sqlite_run(updates: int) -> Run:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        return await cadrebot_run(updates, url, "cadrebot /visit (SQLite)")


async def postgres_run(updates: int, admin_url: str) -> Run:
    async with throwaway_postgres(admin_url) as url:
        return await cadrebot_run(updates, url, "cadrebot /visit (PostgreSQL)")


async def main(updates: int, repeat: int, postgres_admin_url: str | None) -> None:
    echo_tasks = await median_of(repeat, lambda: echo_run(updates, 100, handle_as_tasks=True))
    runs = [await median_of(repeat, lambda: echo_run(updates, 100, handle_as_tasks=False))]
    runs.append(await median_of(repeat, lambda: sqlite_run(updates)))
    if postgres_admin_url:
        runs.append(await median_of(repeat, lambda: postgres_run(updates, postgres_admin_url)))
    print_table(
        f"One-line visit logging, {updates} updates, fake Bot API over HTTP, median of {repeat}",
        echo_tasks,
        runs,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", help="PostgreSQL admin URL to also measure PostgreSQL")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.updates, arguments.repeat, arguments.postgres))
