"""A region supervisor on any county bot of their region: /compliance [YYYY-Qn] gives the
region's figures (each county's own, summed exactly); /start and /help say so.

Region supervisors are on no county's roster: they are found in the deployment's registry
(bot.county_app puts `region_supervisor` in the update's data when the sender is one whose
region covers the bot's county), so this router sits before /start's.
"""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, CommandObject, CommandStart, Filter
from aiogram.types import Message, TelegramObject
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import Clock
from domain.plan_rules import PlanRules
from domain.tenancy import region_text
from handlers.compliance import parse_compliance_args
from handlers.replies import show
from services.reports.regional import regional_compliance
from storage.tenancy import RegionSupervisor
from ui.i18n import Translator
from ui.render import esc
from ui.view import View
from ui.views.regional import regional_view


class ReadsRegion(Filter):
    """Passes for a region supervisor of this bot's county (see the module doc)."""

    async def __call__(
        self, event: TelegramObject, region_supervisor: RegionSupervisor | None = None, **_: Any
    ) -> bool:
        return region_supervisor is not None


async def region_compliance(
    message: Message,
    command: CommandObject,
    region_supervisor: RegionSupervisor,
    deployment_engine: AsyncEngine,
    plan_rules: PlanRules,
    clock: Clock,
    t: Translator,
) -> None:
    quarter, _focus = parse_compliance_args(command.args or "")
    report = await regional_compliance(
        deployment_engine,
        region_supervisor.region,
        quarter,
        clock,
        plan_rules.tz,
        plan_rules.ledger_season_opens,
    )
    await show(message, regional_view(report, t))


async def region_start(
    message: Message, command: CommandObject, region_supervisor: RegionSupervisor, t: Translator
) -> None:
    """/start says what a region supervisor can do; /start CODE is an invite: the start
    router registers it (a region supervisor may also join a county's roster)."""
    if command.args:
        raise SkipHandler
    await region_help(message, region_supervisor, t)


async def region_help(message: Message, region_supervisor: RegionSupervisor, t: Translator) -> None:
    text = t(
        "You read the counties of {region}. /compliance [YYYY-Qn] shows their visit coverage, "
        "each county's and the sum.",
        region=esc(region_text(region_supervisor.region)),
    )
    await show(message, View(text))


def build_router() -> Router:
    router = Router(name="regional")
    router.message.filter(ReadsRegion())
    router.message.register(region_compliance, Command("compliance"))
    router.message.register(region_start, CommandStart())
    router.message.register(region_help, Command("help"))
    return router
