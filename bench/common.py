"""Shared benchmark plumbing: run a Dispatcher against a fresh fake Bot API server."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fakeapi.server import FakeBotAPI
from storage.db import make_engine
from storage.models import Cadre, Household, Pairing


@dataclass(frozen=True)
class Run:
    name: str
    updates: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.updates / self.seconds


def aiogram_polling(bot: Bot, dispatcher: Dispatcher, *, handle_as_tasks: bool) -> Polling:
    """aiogram's own polling loop, as any aiogram bot runs it."""

    async def start() -> None:
        await dispatcher.start_polling(
            bot, handle_signals=False, handle_as_tasks=handle_as_tasks, close_bot_session=False,
            polling_timeout=1,
        )  # fmt: skip

    async def stop() -> None:
        await dispatcher.stop_polling()

    return Polling(start, stop)


@dataclass(frozen=True)
class Polling:
    start: Callable[[], Coroutine[Any, Any, None]]
    stop: Callable[[], Awaitable[None]]


async def wait_for_replies(api: FakeBotAPI, count: int, timeout: float = 600) -> None:
    """Wait until `count` sendMessage calls succeeded, scanning only new call records."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen = replies = 0
    while replies < count:
        calls = api.calls
        for record in calls[seen:]:
            if record.method.lower() == "sendmessage" and record.status == 200:
                replies += 1
        seen = len(calls)
        if loop.time() > deadline:
            raise TimeoutError(f"{replies} of {count} replies after {timeout}s")
        await asyncio.sleep(0.005)


async def timed_polling(
    name: str, api: FakeBotAPI, polling: Polling, enqueue: Callable[[], int]
) -> Run:
    """Start polling, enqueue every update at once, stop the clock at the last reply."""
    task = asyncio.create_task(polling.start())
    try:
        await api.wait_for_poll(timeout=30)
        await wait_for_replies(api, 0)
        started = time.perf_counter()
        baseline = sum(
            1 for r in api.calls if r.method.lower() == "sendmessage" and r.status == 200
        )
        count = enqueue()
        await wait_for_replies(api, baseline + count)
        elapsed = time.perf_counter() - started
    finally:
        await polling.stop()
        await task
    if api.violations:
        raise AssertionError(f"{name}: Bot API violations: {api.violations[:3]}")
    return Run(name, count, elapsed)


def bot_for(api_url: str, token: str) -> Bot:
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))


def print_table(title: str, baseline: Run, runs: list[Run]) -> None:
    print(f"\n{title}")
    print(f"| run | updates | seconds | updates/s | ratio to {baseline.name} |")
    print("|---|---:|---:|---:|---:|")
    for run in [baseline, *runs]:
        print(
            f"| {run.name} | {run.updates} | {run.seconds:.2f} | {run.rate:.0f} | "
            f"{run.rate / baseline.rate:.2f} |"
        )


async def median_of(times: int, run: Callable[[], Awaitable[Run]]) -> Run:
    """Run `times` times and keep the median run: one noisy run does not make the table."""
    runs = sorted([await run() for _ in range(times)], key=lambda r: r.rate)
    return runs[len(runs) // 2]


@contextlib.asynccontextmanager
async def throwaway_postgres(admin_url: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database for one run, dropped afterwards."""
    name = f"cadrebot_bench_{secrets.token_hex(4)}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def cadre_holdings(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> dict[tuple[int, str], list[str]]:
    """(cadre id, cadre code) -> the codes of the households each cadre holds now."""
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(Cadre.id, Cadre.code, Household.code)
                .join(Pairing, Pairing.cadre_id == Cadre.id)
                .join(Household, Household.id == Pairing.household_id)
                .where(Pairing.until.is_(None))
                .order_by(Cadre.id, Household.code)
            )
        ).all()
    holdings: dict[tuple[int, str], list[str]] = {}
    for cadre_id, cadre_code, household_code in rows:
        holdings.setdefault((cadre_id, cadre_code), []).append(household_code)
    return holdings
