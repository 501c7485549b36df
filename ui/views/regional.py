"""/compliance for a region supervisor: the region's sums, then each county, weakest first."""

from __future__ import annotations

from dataclasses import replace

from domain.coverage import Coverage
from domain.regional import CountyFigures, RegionalCoverage
from domain.tenancy import region_text
from ui.figures import percent_text, weakest_first_key
from ui.i18n import Translator
from ui.render import bracket_text, esc, month_text, quarter_text
from ui.view import View


def _figure(total: Coverage, t: Translator) -> dict[str, object]:
    return {"covered": total.covered, "assigned": total.assigned, "percent": percent_text(total, t)}


def _row(row: CountyFigures, t: Translator) -> str:
    """ "镇雄县（zhenxiong）：39/60（65%）", households visited."""
    name = esc(row.name) + bracket_text(t, esc(row.code)) if row.counties == 1 else esc(row.name)
    return t("{name}: {covered}/{assigned} ({percent})", name=name, **_figure(row.households, t))


def _weakest_first(rows: tuple[CountyFigures, ...], t: Translator) -> list[str]:
    keyed = [(weakest_first_key(replace(r.households, key=r.code)), r) for r in rows]
    return [_row(r, t) for _, r in sorted(keyed, key=lambda pair: pair[0])]


def regional_view(report: RegionalCoverage, t: Translator) -> View:
    """The region's households, village visits and ledgers (the counties' exact sums), its
    prefectures where it has them, then its counties, weakest first."""
    total = report.total
    # Computed first: Babel's extractor loses a plural whose arguments call something with t.
    month, village_percent = month_text(t, report.month), percent_text(total.villages, t)
    lines = [
        t(
            "<b>Visit coverage of {name}, {period}</b>",
            name=esc(region_text(report.region)),
            period=quarter_text(t, report.period),
        ),
        t(
            "Households visited: {covered} of {assigned} ({percent})",
            **_figure(total.households, t),
        ),
        t.plural(
            "Village visits in {month}: {covered} of {count} unit ({percent})",
            "Village visits in {month}: {covered} of {count} units ({percent})",
            total.villages.assigned,
            month=month,
            covered=total.villages.covered,
            percent=village_percent,
        ),
        t(
            "Ledgers complete for {year}: {covered} of {assigned} ({percent})",
            year=report.ledger_year,
            **_figure(total.ledgers, t),
        ),
    ]
    if report.subregions:
        lines += ["", t("<b>By prefecture</b>"), *_weakest_first(report.subregions, t)]
    lines += ["", t("<b>By county</b>"), *_weakest_first(report.counties, t)]
    return View("\n".join(lines))
