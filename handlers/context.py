"""What every registered handler works with, gathered once per update as one `ctx`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.plan_rules import PlanRules
from services.actors import Actor
from ui.i18n import Catalogs, Translator


@dataclass(frozen=True)
class Context:
    """One update's session, the cadre acting (never None here), the plan's rules and the
    reply's language: the keywords each handler would otherwise list again."""

    session: AsyncSession
    actor: Actor
    clock: Clock
    rules: PlanRules
    t: Translator
    catalogs: Catalogs

    @property
    def tz(self) -> ZoneInfo:
        """The plan's time zone: every date rule takes it, never the machine's."""
        return self.rules.tz

    def today(self) -> date:
        """Today in the plan's time zone."""
        return local_today(self.clock, self.tz)
