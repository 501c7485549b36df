"""/compliance [YYYY-Qn]: coverage as far as the person's role reaches."""

from __future__ import annotations

import re

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.coverage import Coverage, CoverageReport
from domain.periods import Quarter
from domain.plan_rules import PlanRules
from domain.roles import ComplianceScope
from services.actors import Actor
from services.reports.compliance import compliance_for
from ui.i18n import Translator
from ui.render import chunks, esc

# "2026-Q4", "2026q4", "2026-" ...: meant as a period (then parsed strictly); else a code.
_PERIOD_LIKE = re.compile(r"^\d{4}")


async def show_compliance(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    ledger_season_opens: tuple[int, int],
    t: Translator,
) -> None:
    quarter, focus = parse_compliance_args(command.args or "")
    report = await compliance_for(
        session, actor, quarter, clock, plan_rules.tz, ledger_season_opens, focus
    )
    for part in chunks(render_report(report, t)):
        await message.answer(part)


def parse_compliance_args(text: str) -> tuple[Quarter | None, str | None]:
    """`[YYYY-Qn] [CODE]` in either order: a word that starts like a year is the period."""
    quarter: Quarter | None = None
    focus: str | None = None
    for word in text.split()[:2]:
        if _PERIOD_LIKE.match(word):
            quarter = Quarter.parse(word)
        else:
            focus = word
    return quarter, focus


def _line(row: Coverage) -> str:
    return f"{esc(row.name)}: {row.covered}/{row.assigned} ({row.percent})"


def render_report(report: CoverageReport, t: Translator) -> str:
    scope = ComplianceScope(report.scope)
    title = {
        ComplianceScope.OWN: t("<b>My visit coverage, {period}</b>", period=report.period),
        ComplianceScope.UNIT: t("<b>My unit's visit coverage, {period}</b>", period=report.period),
        ComplianceScope.COUNTY: t("<b>County visit coverage, {period}</b>", period=report.period),
    }[scope]
    if report.focus_name:
        title = t(
            "<b>Visit coverage of {name}, {period}</b>",
            name=esc(report.focus_name),
            period=report.period,
        )
    lines = [
        title,
        t(
            "Households visited: {covered} of {assigned} ({percent})",
            covered=report.total.covered,
            assigned=report.total.assigned,
            percent=report.total.percent,
        ),
    ]
    if report.by_unit:
        lines += ["", t("<b>By unit</b>")] + [_line(r) for r in _weakest_first(report.by_unit)]
    if len(report.by_township) > 1:  # one township repeats the total
        lines += ["", t("<b>By township</b>")] + [
            _line(r) for r in _weakest_first(report.by_township)
        ]
    if report.by_cadre and scope is ComplianceScope.UNIT:
        lines += ["", t("<b>By cadre</b>")] + [_line(r) for r in _weakest_first(report.by_cadre)]
    if report.total.assigned == 0:
        lines.append(t("No paired households in this period."))
    if report.villages is not None:
        villages = report.villages
        lines += [
            "",
            t(
                "Village visits in {month}: {covered} of {assigned} units ({percent})",
                month=villages.month,
                covered=villages.total.covered,
                assigned=villages.total.assigned,
                percent=villages.total.percent,
            ),
        ]
        if scope is ComplianceScope.COUNTY:
            lines += [_line(r) for r in _weakest_first(villages.by_township)]
            missing = [r.name for r in villages.by_unit if r.covered < r.assigned]
            if missing:
                lines.append(t("Not yet this month: {units}", units=esc(", ".join(missing))))
    if report.far_visits:
        lines += [
            "",
            t(
                "\u26a0\ufe0f Visits whose location was far from the place: {count} "
                "(cadrebot report far-visits lists them)",
                count=report.far_visits,
            ),
        ]
    if report.ledgers is not None:
        ledgers = report.ledgers
        lines += [
            "",
            t(
                "Ledgers complete for {year}: {covered} of {assigned} ({percent})",
                year=ledgers.year,
                covered=ledgers.total.covered,
                assigned=ledgers.total.assigned,
                percent=ledgers.total.percent,
            ),
        ]
        if scope is ComplianceScope.COUNTY:
            lines += [t("<b>By unit</b>")] + [_line(r) for r in _weakest_first(ledgers.by_unit)]
            if len(ledgers.by_township) > 1:
                lines += [t("<b>By township</b>")] + [
                    _line(r) for r in _weakest_first(ledgers.by_township)
                ]
        else:
            lines += [_line(r) for r in _weakest_first(ledgers.by_cadre)]
    return "\n".join(lines)


def _weakest_first(rows: tuple[Coverage, ...]) -> list[Coverage]:
    return sorted(rows, key=lambda r: (r.ratio, r.key))


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="compliance")
    router.message.register(show_compliance, Command("compliance"))
    return router
