"""/compliance [YYYY-Qn] [CODE]: coverage as far as the person's role reaches."""

from __future__ import annotations

import re

from aiogram import Router

from domain.periods import Quarter
from domain.text import typed_code
from handlers.context import Context
from handlers.reports import report_router
from services.reports.compliance import compliance_for
from ui.view import View
from ui.views.compliance import compliance_view

# "2026-Q4", "2026q4", "2026-" ...: meant as a period (then parsed strictly); else a code.
_PERIOD_LIKE = re.compile(r"^\d{4}")


def parse_compliance_args(text: str) -> tuple[Quarter | None, str | None]:
    """`[YYYY-Qn] [CODE]` in either order: a word that starts like a year is the period."""
    quarter: Quarter | None = None
    focus: str | None = None
    for word in text.split()[:2]:
        if _PERIOD_LIKE.match(word):
            quarter = Quarter.parse(word)
        else:
            focus = typed_code(word)  # c0001 is C0001
    return quarter, focus


async def compliance_report(args: str, ctx: Context) -> View:
    quarter, focus = parse_compliance_args(args)
    report = await compliance_for(ctx.session, ctx.actor, quarter, ctx.clock, ctx.rules, focus)
    return compliance_view(report, ctx.t)


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    return report_router("compliance", compliance_report)
