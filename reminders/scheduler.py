"""APScheduler in the plan's time zone: one cron job per reminder rule, fired by one process.

The database is the source of truth: jobs are built from the `reminder_rules` table, each
rule remembers the last day it evaluated, and a start-up run catches up on days missed
while the bot was down (at most a week). A lease row lets only one process fire at a time;
if two still did, the outbox's unique key would keep every reminder single. The lease lives
`lease` (default 30 s, `CADREBOT_LEASE_SECONDS`) and is renewed every third of it, so a
standby or restarted process takes over within lease + lease/3 (40 s) of the holder's crash.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock
from reminders.outbox import RunResult, run_rule, spec_of
from reminders.rules import RuleContext
from reminders.sender import Sender, SenderSettings
from storage.reminders import give_up_lease, rules, take_lease

logger = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=30)
# A bot suspended or busy for hours still fires a missed job once when it wakes.
MISFIRE_GRACE = timedelta(hours=12)
# What became of a rule's firing, told to `on_rule_run` (bot/ counts them as metrics);
# standby: another process holds the lease, so this one did not run it.
RUN_OK, RUN_ERROR, RUN_STANDBY = "ok", "error", "standby"
RuleRunReport = Callable[[str, str], None]  # (rule, outcome)


def default_holder() -> str:
    # A random part: id() of a throw-away object repeats, and two schedulers in one process
    # (tests, or a restart within the process) must not share the lease by accident.
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class ReminderScheduler:
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    context: RuleContext
    holder: str = field(default_factory=default_holder)
    lease: timedelta = DEFAULT_LEASE
    on_rule_run: RuleRunReport | None = None
    _held_until: datetime | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.scheduler = AsyncIOScheduler(timezone=self.context.tz)

    @property
    def renew_every(self) -> timedelta:
        """A third of the lease: two renewals may fail before it runs out."""
        return self.lease / 3

    async def hold_lease(self) -> bool:
        now = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            held = await take_lease(session, self.holder, now, now + self.lease)
        self._held_until = now + self.lease if held else None
        return held

    def holds_lease(self) -> bool:
        """No database round trip: whether the last take or renewal is still valid. The
        sender of this process works only then, so two processes never both send (each
        keeps its own rate limits, so two senders would together exceed Telegram's)."""
        return self._held_until is not None and self.clock.now() < self._held_until

    async def renew(self) -> None:
        """The periodic renewal. A standby that has just taken the lease over (the holder
        stopped or died) catches up at once on what the holder left unfired."""
        had = self.holds_lease()
        if await self.hold_lease() and not had:
            logger.info("scheduler lease taken over by %s; catching up", self.holder)
            await self.catch_up()

    async def fire(self, name: str) -> RunResult | None:
        """A job firing: only under the lease; the run itself is one transaction."""
        try:
            if not await self.hold_lease():
                logger.info("rule %s: another process holds the scheduler lease", name)
                self._report(name, RUN_STANDBY)
                return None
            result = await run_rule(self.sessionmaker, name, self.clock, self.context)
        except Exception:
            self._report(name, RUN_ERROR)
            raise
        self._report(name, RUN_OK)
        return result

    def _report(self, name: str, outcome: str) -> None:
        if self.on_rule_run is not None:
            self.on_rule_run(name, outcome)

    async def catch_up(self) -> list[RunResult]:
        """Run every rule once now: days missed while down are computed, today if due."""
        results = []
        async with self.sessionmaker() as session:
            names = [row.name for row in await rules(session) if row.enabled]
        for name in names:
            result = await self.fire(name)
            if result is not None:
                results.append(result)
        return results

    async def add_jobs(self) -> list[str]:
        """One cron job per enabled rule, ids `reminder:<name>`, replacing older ones."""
        async with self.sessionmaker() as session:
            rows = await rules(session)
        ids = []
        for row in rows:
            if not row.enabled:
                continue
            spec = spec_of(row)
            job_id = f"reminder:{row.name}"
            self.scheduler.add_job(
                self.fire,
                CronTrigger(hour=spec.hour, minute=spec.minute, timezone=self.context.tz),
                args=[row.name],
                id=job_id,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=int(MISFIRE_GRACE.total_seconds()),
            )
            ids.append(job_id)
        self.scheduler.add_job(
            self.renew,
            IntervalTrigger(seconds=self.renew_every.total_seconds()),
            id="reminder-lease",
            replace_existing=True,
            coalesce=True,
        )
        return ids

    async def start(self) -> None:
        await self.hold_lease()
        await self.add_jobs()
        self.scheduler.start()
        await self.catch_up()

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self._held_until = None
        async with self.sessionmaker() as session, session.begin():
            await give_up_lease(session, self.holder)


@dataclass
class ReminderService:
    """Scheduler and sender together, as the bot process (or `cadrebot scheduler`) runs them."""

    scheduler: ReminderScheduler
    sender: Sender
    _task: asyncio.Task[None] | None = None

    @classmethod
    def build(
        cls,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        context: RuleContext,
        settings: SenderSettings | None = None,
        lease: timedelta = DEFAULT_LEASE,
        on_rule_run: RuleRunReport | None = None,
    ) -> ReminderService:
        scheduler = ReminderScheduler(
            sessionmaker, clock, context, lease=lease, on_rule_run=on_rule_run
        )
        sender = Sender(bot, sessionmaker, clock, context, settings, gate=scheduler.holds_lease)
        return cls(scheduler, sender)

    async def start(self) -> None:
        await self.scheduler.start()
        self._task = asyncio.create_task(self.sender.run(), name="reminder-sender")

    async def stop(self) -> None:
        self.sender.stop()
        if self._task is not None:
            await self._task
        await self.scheduler.stop()


async def start_all(services: Iterable[ReminderService]) -> list[ReminderService]:
    """Start each service (a county's, in a deployment of counties); when one fails, those
    already started are stopped before the error goes on."""
    started: list[ReminderService] = []
    try:
        for service in services:
            await service.start()
            started.append(service)
    except BaseException:
        await stop_all(started)
        raise
    return started


async def stop_all(services: Iterable[ReminderService]) -> None:
    """Stop each service; one that fails to stop is logged and the others still stop."""
    for service in services:
        try:
            await service.stop()
        except Exception:  # noqa: BLE001 - the others still stop
            logger.exception("reminders did not stop cleanly")
