"""The local sandbox: our fake Bot API server, the real bot, demo data, a chat page.

Started by `cadrebot run` when no BOT_TOKEN is set. It always uses its own SQLite file,
so a forgotten token can never write demo data into a production database.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import sys
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_app, run_polling
from bot.settings import (
    SANDBOX_BOT_USERNAME,
    SANDBOX_DATABASE_FILE,
    SANDBOX_EVIDENCE_DIR,
    Settings,
)
from domain.clock import Clock, local_today
from domain.errors import DomainError
from fakeapi.server import FakeBotAPI
from services.actors import actor_for_account
from services.registration import issue_invite, redeem_invite

logger = logging.getLogger(__name__)

SANDBOX_TOKEN = "100000:sandbox-token-not-a-real-bot"
SANDBOX_DATABASE = f"sqlite+aiosqlite:///{SANDBOX_DATABASE_FILE}"
STRANGER_ID = 9999
SCHOOL_ID = 9004


@dataclass(frozen=True)
class Persona:
    """A demo person in the chat page, bound to a demo cadre by the real invite path."""

    user_id: int
    role: str
    cadre_code: str | None
    label: str


def demo_personas() -> list[Persona]:
    from services.demo.county import DEMO_PERSONAS

    people = [
        Persona(9001, "cadre", DEMO_PERSONAS["cadre"], "挂包干部 (cadre)"),
        Persona(9002, "unit_head", DEMO_PERSONAS["unit_head"], "单位负责人 (unit head)"),
        Persona(9003, "supervisor", DEMO_PERSONAS["supervisor"], "督查人员 (supervisor)"),
        # The school's side of the dropout cases the cadre persona reports.
        Persona(
            SCHOOL_ID,
            "central_school",
            DEMO_PERSONAS["central_school"],
            "中心校负责人 (central school head)",
        ),
    ]
    return [*people, Persona(STRANGER_ID, "stranger", None, "未注册 (not on roster)")]


async def bind_personas(
    sessionmaker: async_sessionmaker[AsyncSession], personas: list[Persona], clock: Clock
) -> None:
    """Register each persona through a real one-time invite, once."""
    for persona in personas:
        if persona.cadre_code is None:
            continue
        async with sessionmaker() as session:
            if await actor_for_account(session, persona.user_id) is not None:
                continue
            issued = await issue_invite(session, persona.cadre_code, clock, 1)
            await redeem_invite(session, persona.user_id, issued.code, clock)


async def prepare_demo_database(settings: Settings, clock: Clock) -> None:
    """Demo county and this year's plan, loaded through the same code as the CLI."""
    from domain.plan import rebase
    from services.demo.activity import add_demo_activity
    from services.demo.county import load_demo
    from services.plan_loader import default_plan_path, load_plan, read_plan_file
    from storage.db import open_database

    async with open_database(settings.database_url) as sessionmaker:
        await load_demo(sessionmaker, "small", clock, settings.tz)
        plan = await asyncio.to_thread(read_plan_file, default_plan_path())
        async with sessionmaker() as session:
            await load_plan(session, rebase(plan, local_today(clock, settings.tz).year))
        await add_demo_activity(
            sessionmaker, clock, settings.tz, settings.ledger_season_opens_month_day
        )


async def run_sandbox(settings: Settings, clock: Clock) -> int:
    """Serve the chat page and run the bot on the sandbox's own files until stopped; 1 when
    the port cannot be had (said in one line, naming the setting to change)."""
    personas = demo_personas()
    api = FakeBotAPI(
        token=SANDBOX_TOKEN,
        bot_username=SANDBOX_BOT_USERNAME,
        sandbox_personas=[
            {"user_id": p.user_id, "name": p.label, "role": p.role, "language_code": "zh"}
            for p in personas
        ],
        time_zone=settings.timezone,
    )
    port = settings.sandbox_port
    try:
        base_url = await api.start(port=port)
    except OSError as error:
        problem = "is in use" if error.errno == errno.EADDRINUSE else f"cannot be opened ({error})"
        print(f"port {port} {problem}; set CADREBOT_SANDBOX_PORT to another port", file=sys.stderr)
        return 1
    # Photo copies, if kept at all, go to the sandbox's folder: never the configured one.
    evidence = SANDBOX_EVIDENCE_DIR if settings.evidence_dir is not None else None
    sandbox_settings = settings.model_copy(
        update={
            "telegram_api_url": base_url,
            "database_url": SANDBOX_DATABASE,
            "evidence_dir": evidence,
        }
    )
    await prepare_demo_database(sandbox_settings, clock)
    app = await build_app(sandbox_settings, token=SANDBOX_TOKEN, clock=clock)
    try:
        await bind_personas(app.sessionmaker, personas, clock)
    except DomainError as error:
        logger.warning("could not bind a demo persona: %r", error)
    print(f"\n  cadrebot sandbox: open {base_url}/ in a browser (Ctrl+C to stop)\n", flush=True)
    try:
        await run_polling(app)
    finally:
        await app.close()
        await api.stop()
    return 0
