"""/compliance as text: coverage of households, village visits and ledgers, weakest first."""

from __future__ import annotations

from domain.coverage import Coverage, CoverageReport, LedgerCoverage, VillageCoverage
from domain.roles import ComplianceScope
from ui.i18n import Translator
from ui.render import esc
from ui.view import View


def _line(row: Coverage) -> str:
    return f"{esc(row.name)}: {row.covered}/{row.assigned} ({row.percent})"


def _weakest_first(rows: tuple[Coverage, ...]) -> list[str]:
    return [_line(r) for r in sorted(rows, key=lambda r: (r.ratio, r.key))]


def _breakdown(title: str, rows: tuple[Coverage, ...]) -> list[str]:
    """A titled block of rows, weakest first; nothing when there are no rows."""
    return [title, *_weakest_first(rows)] if rows else []


def _figure(total: Coverage) -> dict[str, object]:
    return {"covered": total.covered, "assigned": total.assigned, "percent": total.percent}


def _title(report: CoverageReport, scope: ComplianceScope, t: Translator) -> str:
    if report.focus_name:
        return t(
            "<b>Visit coverage of {name}, {period}</b>",
            name=esc(report.focus_name),
            period=report.period,
        )
    return {
        ComplianceScope.OWN: t("<b>My visit coverage, {period}</b>", period=report.period),
        ComplianceScope.UNIT: t("<b>My unit's visit coverage, {period}</b>", period=report.period),
        ComplianceScope.COUNTY: t("<b>County visit coverage, {period}</b>", period=report.period),
    }[scope]


def _villages(villages: VillageCoverage, county: bool, t: Translator) -> list[str]:
    lines = [
        "",
        t(
            "Village visits in {month}: {covered} of {assigned} units ({percent})",
            month=villages.month,
            **_figure(villages.total),
        ),
    ]
    if county:
        lines += _weakest_first(villages.by_township)
        missing = [r.name for r in villages.by_unit if r.covered < r.assigned]
        if missing:
            lines.append(t("Not yet this month: {units}", units=esc(", ".join(missing))))
    return lines


def _ledgers(ledgers: LedgerCoverage, county: bool, t: Translator) -> list[str]:
    lines = [
        "",
        t(
            "Ledgers complete for {year}: {covered} of {assigned} ({percent})",
            year=ledgers.year,
            **_figure(ledgers.total),
        ),
    ]
    if not county:
        return lines + _weakest_first(ledgers.by_cadre)
    lines += _breakdown(t("<b>By unit</b>"), ledgers.by_unit)
    if len(ledgers.by_township) > 1:
        lines += _breakdown(t("<b>By township</b>"), ledgers.by_township)
    return lines


def compliance_view(report: CoverageReport, t: Translator) -> View:
    """The report as far as its scope reaches; long county reports are split by the caller."""
    scope = ComplianceScope(report.scope)
    county = scope is ComplianceScope.COUNTY
    lines = [
        _title(report, scope, t),
        t("Households visited: {covered} of {assigned} ({percent})", **_figure(report.total)),
    ]
    if report.by_unit:
        lines += ["", *_breakdown(t("<b>By unit</b>"), report.by_unit)]
    if len(report.by_township) > 1:  # one township repeats the total
        lines += ["", *_breakdown(t("<b>By township</b>"), report.by_township)]
    if report.by_cadre and scope is ComplianceScope.UNIT:
        lines += ["", *_breakdown(t("<b>By cadre</b>"), report.by_cadre)]
    if report.total.assigned == 0:
        lines.append(t("No paired households in this period."))
    if report.villages is not None:
        lines += _villages(report.villages, county, t)
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
        lines += _ledgers(report.ledgers, county, t)
    return View("\n".join(lines))
