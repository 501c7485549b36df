"""/deadlines: my unit's milestones near today, overdue ones flagged."""

from __future__ import annotations

from aiogram import Router

from handlers.context import Context
from handlers.reports import report_router
from services.reports.deadlines import deadlines_for
from ui.view import View
from ui.views.deadlines import deadlines_view


async def deadlines_report(_args: str, ctx: Context) -> View:
    listing = await deadlines_for(ctx.session, ctx.actor, ctx.clock, ctx.tz, ctx.t.locale)
    return deadlines_view(listing, ctx.t)


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    return report_router("deadlines", deadlines_report)
