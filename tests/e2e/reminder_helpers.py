"""What the reminder tests share: a bot whose tests drive scheduler and sender themselves,
the rule context, the outbox as the database holds it, and plain pending messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from domain.reminders import DEFAULT_RULES
from reminders.rules import RuleContext
from storage.models import Cadre, OutboxMessage, ReminderRule
from tests.e2e.conftest import Harness, running_bot


@asynccontextmanager
async def bot_without_scheduler(tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot with the default reminder rules and no scheduler of its own."""
    async with running_bot(
        f"sqlite+aiosqlite:///{tmp_path}/e2e.sqlite3", CADREBOT_SCHEDULER="off"
    ) as running:
        async with running.app.sessionmaker() as session, session.begin():
            session.add_all(
                ReminderRule(
                    name=r.name, spec=r.to_json(), hour=r.hour, minute=r.minute, enabled=True
                )
                for r in DEFAULT_RULES
            )
        yield running


def rule_context(harness: Harness) -> RuleContext:
    return RuleContext.of(harness.app.settings.plan_rules(), harness.app.catalogs)


async def outbox(harness: Harness) -> list[OutboxMessage]:
    async with harness.app.sessionmaker() as session:
        return list(
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        )


async def add_pending(
    harness: Harness, cadre_code: str, chat_id: int, count: int, at: datetime
) -> None:
    """`count` pending messages "reminder <n>" to one cadre, of a rule that is always owed."""
    async with harness.app.sessionmaker() as session, session.begin():
        cadre = select(Cadre.id).where(Cadre.code == cadre_code)
        cadre_id = (await session.execute(cadre)).scalar_one()
        session.add_all(
            OutboxMessage(
                cadre_id=cadre_id,
                chat_id=chat_id,
                rule="test",
                period=f"{at:%Y-%m}",
                occurrence=str(n),
                text=f"reminder {n}",
                buttons="[]",
                state="pending",
                attempts=0,
                not_before=at,
                created_at=at,
            )
            for n in range(count)
        )
