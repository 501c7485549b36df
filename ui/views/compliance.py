"""/compliance as text: coverage of households, village visits and ledgers, weakest first."""

from __future__ import annotations

from domain.coverage import Coverage, CoverageReport, LedgerCoverage, VillageCoverage
from domain.roles import ComplianceScope
from ui.figures import percent_text, weakest_first_key
from ui.i18n import Translator
from ui.render import bracket_text, esc, list_text, month_text, quarter_text
from ui.view import View


def _named(name: str, code: str, t: Translator) -> str:
    """ "局办公室（U01）": the code a supervisor can type after /compliance."""
    return esc(name) + bracket_text(t, esc(code)) if code else esc(name)


def _line(row: Coverage, t: Translator) -> str:
    return t(
        "{name}: {covered}/{assigned} ({percent})",
        name=_named(row.name, row.key, t),
        covered=row.covered,
        assigned=row.assigned,
        percent=percent_text(row, t),
    )


def _weakest_first(rows: tuple[Coverage, ...], t: Translator) -> list[str]:
    return [_line(r, t) for r in sorted(rows, key=weakest_first_key)]


def _breakdown(title: str, rows: tuple[Coverage, ...], t: Translator) -> list[str]:
    """A titled block of rows, weakest first; nothing when there are no rows."""
    return [title, *_weakest_first(rows, t)] if rows else []


def _figure(total: Coverage, t: Translator) -> dict[str, object]:
    percent = percent_text(total, t)
    return {"covered": total.covered, "assigned": total.assigned, "percent": percent}


def _title(report: CoverageReport, scope: ComplianceScope, t: Translator) -> str:
    period = quarter_text(t, report.period)
    if report.focus_name:
        return t(
            "<b>Visit coverage of {name}, {period}</b>",
            name=_named(report.focus_name, report.focus_code, t),
            period=period,
        )
    return {
        ComplianceScope.OWN: t("<b>My visit coverage, {period}</b>", period=period),
        ComplianceScope.UNIT: t("<b>My unit's visit coverage, {period}</b>", period=period),
        ComplianceScope.COUNTY: t("<b>County visit coverage, {period}</b>", period=period),
    }[scope]


def _villages(villages: VillageCoverage, county: bool, t: Translator) -> list[str]:
    # Computed first: Babel's extractor loses a plural whose arguments call something with t.
    month, percent = month_text(t, villages.month), percent_text(villages.total, t)
    lines = [
        "",
        t.plural(
            "Village visits in {month}: {covered} of {count} unit ({percent})",
            "Village visits in {month}: {covered} of {count} units ({percent})",
            villages.total.assigned,
            month=month,
            covered=villages.total.covered,
            percent=percent,
        ),
    ]
    if county:
        lines += _weakest_first(villages.by_township, t)
        missing = [r.name for r in villages.by_unit if r.covered < r.assigned]
        if missing:
            lines.append(
                t("Not at their village yet this month: {units}", units=esc(list_text(t, missing)))
            )
    return lines


def _ledgers(ledgers: LedgerCoverage, county: bool, t: Translator) -> list[str]:
    lines = [
        "",
        t(
            "Ledgers complete for {year}: {covered} of {assigned} ({percent})",
            year=ledgers.year,
            **_figure(ledgers.total, t),
        ),
    ]
    if not county:
        return lines + _weakest_first(ledgers.by_cadre, t)
    lines += _breakdown(t("<b>By unit</b>"), ledgers.by_unit, t)
    if len(ledgers.by_township) > 1:
        lines += _breakdown(t("<b>By township</b>"), ledgers.by_township, t)
    return lines


def compliance_view(report: CoverageReport, t: Translator) -> View:
    """The report as far as its scope reaches; long county reports are split by the caller."""
    scope = ComplianceScope(report.scope)
    county = scope is ComplianceScope.COUNTY
    lines = [
        _title(report, scope, t),
        t("Households visited: {covered} of {assigned} ({percent})", **_figure(report.total, t)),
    ]
    if report.by_unit:
        lines += ["", *_breakdown(t("<b>By unit</b>"), report.by_unit, t)]
    if len(report.by_township) > 1:  # one township repeats the total
        lines += ["", *_breakdown(t("<b>By township</b>"), report.by_township, t)]
    if report.by_cadre and scope is ComplianceScope.UNIT:
        lines += ["", *_breakdown(t("<b>By cadre</b>"), report.by_cadre, t)]
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
