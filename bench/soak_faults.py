"""Soak under faults: one-line visits streamed to the real bot while it is killed or its
database connections are dropped; counts lost, duplicated and unanswered visits.

    .venv/bin/python -m bench.soak_faults [--scenario all|kill|drop] [--updates 1000]
        [--rate 50] [--kill-every 3] [--drop-every 1] [--size small] [--seed 1]
        [--postgres ADMIN_URL | --no-postgres] [--deadline 600]

The fake Bot API server runs in this process on one 127.0.0.1 port for the whole run; the
bot is the installed `cadrebot run` in a subprocess (CADREBOT_SCHEDULER=off) on a temporary
SQLite file or a throw-away PostgreSQL database (created and dropped through the admin URL).
The demo county (--size) is loaded and every cadre with households registered through an
invite before the bot starts. Then --updates `/visit CODE DATE` lines (distinct household
and day pairs, each cadre to its own households, chats interleaved) are sent at --rate per
second while, in the scenario

- kill: the bot gets SIGKILL every --kill-every seconds (jittered by half, seeded) and is
  started again at once, on SQLite and on PostgreSQL;
- drop: every backend of the throw-away database is ended with pg_terminate_backend every
  --drop-every seconds (PostgreSQL only), the bot running throughout.

Faults go on until every update was sent and confirmed (at most --deadline seconds); then
the bot runs unharmed until idle and is stopped with SIGTERM. Counted: visits sent but not
in the database (lost), rows beyond one per sent visit (duplicated), visits with no reply
(unanswered), visits answered more than once (replied twice: a redelivery after a kill; the
second answer says "already logged", not a fault), replies naming no visit sent, and ERROR
lines or tracebacks in the bot's log. Exit status 1 when lost, duplicated, unanswered,
other replies or errors are not all zero, or the bot never became idle.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import signal
import sys
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from bench.common import cadre_holdings, throwaway_postgres
from domain.clock import FixedClock
from fakeapi.server import FakeBotAPI, WaitTimeout
from services.demo.county import load_demo
from services.registration import issue_invite, redeem_invite
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import Household, HouseholdVisit

TOKEN = "434343:soak-faults-token"
TIMEZONE = "Asia/Shanghai"
ACCOUNT_BASE = 800_000
BACK_DAYS = 25  # visit days: 1..25 days ago, inside the 30-day back-dating limit
DEFAULT_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
CADREBOT = Path(sys.executable).with_name("cadrebot")

CODE = re.compile(r"[A-Z]+\d+")  # a household code in a reply
# A date as the reply shows it: 2026-11-20, or 2026年11月20日 in Chinese.
DAY = re.compile(r"(\d{4})(?:-(\d{2})-(\d{2})|年(\d{1,2})月(\d{1,2})日)")


def shown_days(text: str) -> list[str]:
    """Every date in a reply, as ISO text, whichever way the reply writes it."""
    days = []
    for year, month, day, zh_month, zh_day in DAY.findall(text):
        days.append(f"{year}-{int(month or zh_month):02d}-{int(day or zh_day):02d}")
    return days


Visit = tuple[int, str, str]  # (Telegram account, household code, ISO day)


@dataclass
class Result:
    """One scenario on one backend: the row of the table."""

    name: str
    updates: int = 0
    faults: int = 0
    lost: int = 0
    duplicated: int = 0
    unanswered: int = 0
    replied_twice: int = 0
    other_replies: int = 0
    errors: int = 0
    idle: bool = False
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def problems(self) -> int:
        counts = (self.lost, self.duplicated, self.unanswered, self.other_replies, self.errors)
        return sum(counts) + (0 if self.idle else 1)


async def prepare(url: str, size: str) -> dict[int, list[str]]:
    """Demo county on `url`; every cadre with households registered: account -> codes."""
    await upgrade(url)
    engine = make_engine(url)
    clock = FixedClock(datetime.now(UTC) - timedelta(days=60))
    try:
        sessionmaker = make_sessionmaker(engine)
        await load_demo(sessionmaker, size, clock, ZoneInfo(TIMEZONE))
        holdings = await cadre_holdings(sessionmaker)
        accounts: dict[int, list[str]] = {}
        for (cadre_id, cadre_code), households in holdings.items():
            async with sessionmaker() as session:
                issued = await issue_invite(session, cadre_code, clock, 7)
                await redeem_invite(session, ACCOUNT_BASE + cadre_id, issued.code, clock)
            accounts[ACCOUNT_BASE + cadre_id] = households
        return accounts
    finally:
        await engine.dispose()


def plan_visits(accounts: dict[int, list[str]], updates: int) -> list[Visit]:
    """`updates` distinct (household, day) visits, each by the household's cadre; one round
    over every household per day, chats taking turns."""
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    holdings = [(account, codes) for account, codes in accounts.items()]
    widest = max(len(codes) for _, codes in holdings)
    one_day = [
        (account, codes[n]) for n in range(widest) for account, codes in holdings if n < len(codes)
    ]
    if updates > len(one_day) * BACK_DAYS:
        raise SystemExit(
            f"--updates at most {len(one_day) * BACK_DAYS} for this county; use a larger --size"
        )
    days = [(today - timedelta(days=d)).isoformat() for d in range(1, BACK_DAYS + 1)]
    return [(*one_day[n % len(one_day)], days[n // len(one_day)]) for n in range(updates)]


class BotProcess:
    """`cadrebot run` in a subprocess, its output appended to one log file."""

    def __init__(self, env: dict[str, str], folder: Path, log: IO[bytes]) -> None:
        self._env = env
        self._folder = folder
        self._log = log
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.exits: list[int] = []  # return codes of exits we did not cause

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            str(CADREBOT),
            "run",
            cwd=self._folder,  # no project .env is read
            env=self._env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
        )
        self.starts += 1

    async def ensure_running(self) -> None:
        """Start again if the bot left on its own (noted: it should not)."""
        if self.process is not None and self.process.returncode is not None:
            self.exits.append(self.process.returncode)
            self.process = None
        if self.process is None:
            await self.start()

    async def kill(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGKILL)
            await self.process.wait()
            self.process = None

    async def stop(self) -> None:
        """SIGTERM (the poller stops between batches), SIGKILL after 15 s."""
        if self.process is None:
            return
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 15)
        except TimeoutError:
            await self.kill()
        self.process = None


def bot_env(api_url: str, database_url: str) -> dict[str, str]:
    """The parent's environment without any bot setting, plus this run's."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CADREBOT_")}
    for key in ("BOT_TOKEN", "TELEGRAM_API_URL", "DATABASE_URL", "REDIS_URL"):
        env.pop(key, None)
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api_url,
        DATABASE_URL=database_url,
        CADREBOT_SCHEDULER="off",
        CADREBOT_TIMEZONE=TIMEZONE,
    )
    return env


async def send_stream(api: FakeBotAPI, visits: list[Visit], rate: float) -> None:
    """Enqueue the visits at `rate` per second, on schedule (not drifting)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    for n, (account, household, day) in enumerate(visits):
        delay = started + n / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        api.get_user(account).send_text(f"/visit {household} {day}")


def caught_up(api: FakeBotAPI) -> bool:
    """Every enqueued update was confirmed by a later getUpdates offset."""
    queue = api.world.updates
    return queue.last_enqueued_id < queue.confirmed_below


async def count(result: Result, api: FakeBotAPI, url: str, visits: list[Visit]) -> None:
    """Compare what was sent with the database and the replies."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = (
                await session.execute(
                    select(Household.code, HouseholdVisit.visit_date).join(
                        Household, Household.id == HouseholdVisit.household_id
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    written = Counter((code, day.isoformat()) for code, day in rows)
    sent = {(household, day) for _, household, day in visits}
    result.lost = sum(1 for pair in sent if written[pair] == 0)
    result.duplicated = sum(written.values()) - sum(1 for pair in sent if written[pair])
    by_account: dict[int, set[tuple[str, str]]] = {}
    for account, household, day in visits:
        by_account.setdefault(account, set()).add((household, day))
    answers = Counter[tuple[str, str]]()
    for account, pairs in by_account.items():
        for message in api.messages_to(account):
            said = str(message.get("text", ""))
            codes, days = CODE.findall(said), shown_days(said)
            named = [(code, day) for code in codes for day in days if (code, day) in pairs]
            if len(named) == 1:
                answers[named[0]] += 1
            else:
                result.other_replies += 1
                if result.other_replies <= 3:
                    result.notes.append(f"reply naming no one visit: {said[:120]!r}")
    result.unanswered = sum(1 for pair in sent if answers[pair] == 0)
    result.replied_twice = sum(1 for pair in sent if answers[pair] > 1)


def count_errors(log_path: Path, result: Result) -> None:
    """ERROR lines and tracebacks the bot logged (a SIGKILL leaves none of its own)."""
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    bad = [line for line in lines if " ERROR " in line or line.startswith("Traceback")]
    result.errors = len(bad)
    result.notes.extend(f"log: {line[:160]}" for line in bad[:3])
    retries = sum(1 for line in lines if " WARNING " in line and "); try " in line)
    later = sum(1 for line in lines if " WARNING " in line and "left for the next poll" in line)
    result.notes.append(
        f"{retries} update retries and {later} left for the next poll logged (temporary errors)"
    )


Fault = Callable[[], Awaitable[None]]
# Given the bot and the server: the fault, and the seconds to wait before each strike.
MakeFault = Callable[[BotProcess, FakeBotAPI], tuple[Fault, Callable[[], float]]]


async def run_scenario(
    name: str,
    url: str,
    arguments: argparse.Namespace,
    folder: Path,
    make_fault: MakeFault,
) -> Result:
    """Stream the visits while `fault` strikes at the intervals given, then count."""
    result = Result(name)
    accounts = await prepare(url, arguments.size)
    visits = plan_visits(accounts, arguments.updates)
    result.updates = len(visits)
    api = FakeBotAPI(token=TOKEN)
    api_url = await api.start("127.0.0.1", arguments.port)
    for account in accounts:
        api.user(account, f"cadre{account}")
    log_path = folder / f"{name.replace(' ', '_')}.log"
    with log_path.open("ab") as log:
        bot = BotProcess(bot_env(api_url, url), folder, log)
        fault, interval = make_fault(bot, api)
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + arguments.deadline
        busy = 0  # faults that struck while updates were handed out or waiting, unconfirmed
        stream: asyncio.Task[None] | None = None
        try:
            await bot.start()
            await api.wait_for_poll(timeout=60)
            stream = asyncio.create_task(send_stream(api, visits, arguments.rate))
            while loop.time() < deadline and not (stream.done() and caught_up(api)):
                await asyncio.sleep(interval())
                await bot.ensure_running()
                busy += bool(api.world.updates.pending)
                await fault()
                result.faults += 1
            await stream
            await bot.ensure_running()
            remaining = max(deadline - loop.time(), 60.0)
            try:
                await api.wait_idle(timeout=remaining)
                result.idle = True
            except WaitTimeout as timeout:
                result.notes.append(str(timeout))
            result.seconds = loop.time() - started
        finally:
            if stream is not None and not stream.done():
                stream.cancel()
            await bot.stop()
            await api.stop()
    result.notes.append(f"{busy} of {result.faults} faults struck with updates unconfirmed")
    result.notes.append(f"bot started {bot.starts} times")
    if bot.exits:
        result.notes.append(f"bot exited by itself with {bot.exits}")
    await count(result, api, url, visits)
    count_errors(log_path, result)
    return result


def killing(seed: int, every: float) -> MakeFault:
    """SIGKILL, then start at once; the interval jittered within [every/2, every*3/2]."""
    jitter = random.Random(seed)

    def make(bot: BotProcess, api: FakeBotAPI) -> tuple[Fault, Callable[[], float]]:
        async def kill_and_restart() -> None:
            await bot.kill()
            await bot.start()

        return kill_and_restart, lambda: every * jitter.uniform(0.5, 1.5)

    return make


def dropping(admin_url: str, url: str, every: float, dropped: list[int]) -> MakeFault:
    """pg_terminate_backend on every connection to the throw-away database."""
    name = make_url(url).database

    def make(bot: BotProcess, api: FakeBotAPI) -> tuple[Fault, Callable[[], float]]:
        async def terminate() -> None:
            admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
            try:
                async with admin.connect() as connection:
                    ended = await connection.execute(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = :name AND pid <> pg_backend_pid()"
                        ),
                        {"name": name},
                    )
                    dropped.append(int(ended.scalar_one()))
            finally:
                await admin.dispose()

        return terminate, lambda: every

    return make


async def main(arguments: argparse.Namespace) -> list[Result]:
    results: list[Result] = []
    kills = arguments.scenario in ("all", "kill")
    drops = arguments.scenario in ("all", "drop") and arguments.postgres
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if kills:
            url = f"sqlite+aiosqlite:///{folder / 'soak.sqlite3'}"
            kill = killing(arguments.seed, arguments.kill_every)
            results.append(await run_scenario("SQLite kill", url, arguments, folder, kill))
            if arguments.postgres:
                async with throwaway_postgres(arguments.postgres) as url:
                    kill = killing(arguments.seed, arguments.kill_every)
                    results.append(
                        await run_scenario("PostgreSQL kill", url, arguments, folder, kill)
                    )
        if drops:
            async with throwaway_postgres(arguments.postgres) as url:
                dropped: list[int] = []
                drop = dropping(arguments.postgres, url, arguments.drop_every, dropped)
                result = await run_scenario("PostgreSQL drop", url, arguments, folder, drop)
                hits = sum(1 for n in dropped if n)
                result.notes.append(f"{hits} drops ended a connection, {sum(dropped)} in all")
                results.append(result)
    return results


def print_table(results: list[Result], arguments: argparse.Namespace) -> None:
    print(
        f"\nSoak under faults: {arguments.updates} one-line visits at {arguments.rate:g}/s, "
        f"kill every ~{arguments.kill_every:g} s, drop every {arguments.drop_every:g} s"
    )
    print(
        "| scenario | updates | kills/drops | lost | duplicated | unanswered | replied twice "
        "| other replies | errors logged | seconds |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        idle = "" if r.idle else " (never idle)"
        print(
            f"| {r.name} | {r.updates} | {r.faults} | {r.lost} | {r.duplicated} | "
            f"{r.unanswered} | {r.replied_twice} | {r.other_replies} | {r.errors} | "
            f"{r.seconds:.0f}{idle} |"
        )
    for r in results:
        for note in r.notes:
            print(f"- {r.name}: {note}")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", choices=("all", "kill", "drop"), default="all")
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="updates sent per second")
    parser.add_argument("--kill-every", type=float, default=3.0, help="seconds, jittered")
    parser.add_argument("--drop-every", type=float, default=1.0, help="seconds")
    parser.add_argument("--size", choices=("small", "medium"), default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=0, help="fake Bot API port (0: any free)")
    parser.add_argument("--deadline", type=float, default=600.0, help="seconds per scenario")
    parser.add_argument("--postgres", default=DEFAULT_ADMIN_URL, help="PostgreSQL admin URL")
    parser.add_argument("--no-postgres", dest="postgres", action="store_const", const=None)
    arguments = parser.parse_args(argv)
    if arguments.updates < 1 or arguments.rate <= 0 or arguments.deadline <= 0:
        parser.error("--updates, --rate and --deadline must be positive")
    return arguments


if __name__ == "__main__":
    options = parse()
    outcome = asyncio.run(main(options))
    print_table(outcome, options)
    sys.exit(1 if any(r.problems for r in outcome) else 0)
