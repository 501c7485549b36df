"""/deadlines: my unit's milestones near today, overdue ones flagged."""

from __future__ import annotations

from aiogram import Router

from handlers.reports import Asked, report_router
from services.reports.deadlines import deadlines_for
from ui.view import View
from ui.views.deadlines import deadlines_view


async def deadlines_report(asked: Asked) -> View:
    listing = await deadlines_for(
        asked.session, asked.actor, asked.clock, asked.rules.tz, asked.t.locale
    )
    return deadlines_view(listing, asked.t)


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    return report_router("deadlines", deadlines_report)
