"""/schooling: enrolment and dropout rates against the national thresholds, places named."""

from __future__ import annotations

from aiogram import Router

from domain.errors import InputRefused
from handlers.context import Context
from handlers.reports import report_router
from services.reports.schooling import schooling_for
from ui.view import View
from ui.views.schooling import schooling_view


async def schooling_report(args: str, ctx: Context) -> View:
    if args.strip():
        raise InputRefused("schooling_no_arguments")
    view = await schooling_for(ctx.session, ctx.actor, ctx.clock, ctx.tz)
    return schooling_view(view, ctx.t)


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    return report_router("schooling", schooling_report)
