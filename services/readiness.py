"""What a deployment still lacks (`cadrebot doctor`), and whether a year's plan is loaded.

The checks only read: the schema is reported as found, never upgraded, and a SQLite file
that does not exist yet is not created.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock, local_today
from domain.webhook_state import WebhookCheck
from services.files.fonts import FontMissing, cjk_font_path
from services.transaction import unit_of_work
from storage import readiness as queries
from storage.migrate import script_heads
from storage.readiness import Backlog, LeaseRow, OpenInvite, RosterCounts
from storage.tenancy import open_county_database

# Due reminders may wait this long (a sender's batch, a retry) before the backlog is a problem.
BACKLOG_GRACE = timedelta(minutes=15)
UNREGISTERED_SHOWN = 5

# Each step a deployment needs, in the order of the README's "First deployment".
STEPS = (
    "bot_token",
    "database",
    "schema",
    "roster",
    "plan",
    "registrations",
    "scheduler",
    "outbox",
    "webhook",
    "pdf_font",
)


@dataclass(frozen=True)
class Readiness:
    """What was found; `missing` says which STEPS are not done."""

    checked_at: datetime
    plan_year: int
    token_set: bool
    database_error: str | None = None
    database_file_missing: bool = False  # a SQLite file not created yet
    schema_revisions: frozenset[str] = frozenset()
    schema_heads: frozenset[str] = frozenset()
    roster: RosterCounts | None = None  # None: could not be read (no schema yet)
    plan_loaded: bool = False
    unregistered: list[str] = field(default_factory=list)  # the first few codes, not invited
    invited: int = 0  # unregistered cadres holding an open invite
    open_invites: list[OpenInvite] = field(default_factory=list)  # the first few of them
    contents_read: bool = False  # roster, plan, registrations, lease and outbox were read
    lease: LeaseRow | None = None
    backlog: Backlog | None = None
    font: Path | None = None
    font_problem: str | None = None
    # Webhook mode (CADREBOT_MODE=webhook): Telegram's view of the webhook, asked by the
    # caller (`cadrebot doctor`, which may talk to Telegram); None: not asked (no token).
    webhook_mode: bool = False
    webhook: WebhookCheck | None = None

    @property
    def schema_current(self) -> bool:
        return bool(self.schema_heads) and self.schema_revisions == self.schema_heads

    @property
    def lease_fresh(self) -> bool:
        return self.lease is not None and self.lease.expires_at >= self.checked_at

    @property
    def backlog_stuck(self) -> bool:
        """Due reminders left unsent for longer than a working sender takes."""
        oldest = self.backlog.oldest_due if self.backlog else None
        return oldest is not None and self.checked_at - oldest > BACKLOG_GRACE

    def checked(self, step: str) -> bool:
        """Whether the step could be looked at (a step behind a missing one could not)."""
        if step == "schema":
            return self.database_error is None
        if step in ("roster", "plan", "registrations", "scheduler", "outbox"):
            return self.contents_read
        if step == "webhook":
            return not self.webhook_mode or self.webhook is not None
        return True

    def done(self, step: str) -> bool:
        roster = self.roster
        return {
            "bot_token": self.token_set,
            "database": self.database_error is None,
            "schema": self.schema_current,
            "roster": roster is not None
            and min(roster.units, roster.active_cadres, roster.households) > 0,
            "plan": self.plan_loaded,
            "registrations": roster is not None and roster.registered_cadres > 0,
            "scheduler": self.lease_fresh,
            "outbox": not self.backlog_stuck,  # unread (no schema yet): nothing is stuck
            "webhook": not self.webhook_mode
            or (self.webhook is not None and not self.webhook.problems(self.checked_at)),
            "pdf_font": self.font is not None,
        }[step]

    @property
    def missing(self) -> list[str]:
        return [step for step in STEPS if not self.done(step)]


async def plan_loaded_for(session: AsyncSession, year: int) -> bool:
    """Whether a plan (its campaigns) is loaded for that year."""
    async with unit_of_work(session):
        return await queries.plan_loaded_for(session, year)


async def check_deployment(
    database_url: str,
    *,
    token_set: bool,
    clock: Clock,
    tz: ZoneInfo,
    pdf_font: Path | None,
    county: str | None = None,
) -> Readiness:
    """Every check, reading only; the plan's year is today's in the plan's time zone. With
    `county`, that county's schema (storage.tenancy); a deployment of counties needs one."""
    now = clock.now()
    year = local_today(clock, tz).year
    try:
        font: Path | None = cjk_font_path(pdf_font)
        font_problem = None
    except FontMissing as problem:
        font, font_problem = None, str(problem)
    found = Readiness(
        now,
        year,
        token_set,
        schema_heads=await asyncio.to_thread(script_heads),
        font=font,
        font_problem=font_problem,
    )
    missing_file = queries.missing_sqlite_file(database_url)
    if missing_file is not None:
        return replace(
            found, database_error=f"{missing_file} does not exist yet", database_file_missing=True
        )
    try:
        async with open_county_database(database_url, county, upgrade=False) as (sessionmaker, _):
            async with sessionmaker() as session, session.begin():
                revisions = await queries.schema_revisions(session)
            found = replace(found, schema_revisions=revisions)
            if revisions:  # an empty database holds nothing to look at
                found = await _contents(sessionmaker, found)
    except (OSError, SQLAlchemyError) as error:
        return replace(found, database_error=_first_line(error))
    return found


async def _contents(sessionmaker: async_sessionmaker[AsyncSession], found: Readiness) -> Readiness:
    """Roster, plan, registrations, lease and backlog, as far as the schema can answer."""
    try:
        async with sessionmaker() as session, session.begin():
            invited, open_invites = await queries.invited_cadres(
                session, UNREGISTERED_SHOWN, found.checked_at
            )
            return replace(
                found,
                contents_read=True,
                roster=await queries.roster_counts(session),
                plan_loaded=await queries.plan_loaded_for(session, found.plan_year),
                unregistered=await queries.unregistered_cadres(
                    session, UNREGISTERED_SHOWN, found.checked_at
                ),
                invited=invited,
                open_invites=open_invites,
                lease=await queries.scheduler_lease(session),
                backlog=await queries.outbox_backlog(session, found.checked_at),
            )
    except SQLAlchemyError:  # a schema behind its scripts: `cadrebot db upgrade` first
        return found


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
