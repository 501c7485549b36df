"""/schooling as text: rates per stage against the thresholds, places below, names to follow."""

from __future__ import annotations

from decimal import Decimal

from domain.schooling import (
    COUNTY,
    ENROLMENT,
    STAGES,
    THRESHOLDS,
    Place,
    PlaceFigures,
    Shortfall,
    StageFigures,
)
from services.reports.schooling import ListedChild, SchoolingView
from ui.i18n import N_, Translator
from ui.render import date_text, esc
from ui.view import View

STAGE_NAMES = {"primary": N_("Primary"), "junior": N_("Junior middle")}
# Names of suspected dropouts and dropouts shown to a central school; the rest are counted.
NAMES_SHOWN = 30
ENROLMENT_BELOW = N_("{place}: {stage} enrolment {rate}, below {limit}%")
DROPOUT_ABOVE = N_("{place}: {stage} dropout {rate}, above {limit}%")


def _pct(value: Decimal | None) -> str:
    return "–" if value is None else f"{value}%"


def stage_line(figures: StageFigures, t: Translator) -> str:
    """One stage in one place, with a warning sign when an indicator is below threshold."""
    stage = t(STAGE_NAMES[figures.stage])
    if not figures.children and not figures.exempted:
        return t("{stage}: no children of this age", stage=stage)
    line = t(
        "{stage}: enrolled {enrolment} ({in_school}/{children}), dropout {dropout} "
        "({dropouts}/{base})",
        stage=stage,
        enrolment=_pct(figures.enrolment_percent),
        in_school=figures.in_school,
        children=figures.children,
        dropout=_pct(figures.dropout_percent),
        dropouts=figures.dropouts,
        base=figures.dropout_base,
    )
    return f"{line} ⚠️" if figures.failing() else line


def _place_block(item: PlaceFigures, t: Translator) -> list[str]:
    lines = [f"<b>{esc(item.place.name)}</b>"]
    lines += [stage_line(item.stages[stage], t) for stage in STAGES]
    return lines


def _label(place: Place, t: Translator) -> str:
    return t("county") if place.level == COUNTY else esc(place.label)


def _shortfall_line(shortfall: Shortfall, t: Translator) -> str:
    message = ENROLMENT_BELOW if shortfall.indicator == ENROLMENT else DROPOUT_ABOVE
    return t(
        message,
        place=_label(shortfall.place, t),
        stage=t(STAGE_NAMES[shortfall.stage]),
        rate=_pct(shortfall.shown),
        limit=shortfall.limit,
    )


def _child_line(child: ListedChild, t: Translator) -> str:
    row = child.row
    return t.plural(
        "{village} {household} {name}, {count} year ({stage})",
        "{village} {household} {name}, {count} years ({stage})",
        child.age,
        village=esc(row.village_name),
        household=esc(row.household_code),
        name=esc(row.name),
        stage=t(STAGE_NAMES[child.expected_stage]),
    )


def _names(title: str, children: tuple[ListedChild, ...], t: Translator) -> list[str]:
    if not children:
        return []
    lines = ["", t("<b>{title}</b>: {count}", title=title, count=len(children))]
    lines += [_child_line(c, t) for c in children[:NAMES_SHOWN]]
    if len(children) > NAMES_SHOWN:
        lines.append(t("… and {count} more children", count=len(children) - NAMES_SHOWN))
    return lines


def schooling_view(view: SchoolingView, t: Translator) -> View:
    """The rates, the places below threshold and (central schools) the children named."""
    rates = view.rates
    total = rates.total
    year = rates.school_year
    lines = [
        t(
            "<b>Schooling, {place}, school year {year}-{next}</b> (as of {date})",
            place=_label(total.place, t),
            year=year,
            next=year + 1,
            date=date_text(t, view.as_of),
        ),
        t("Stage by age on September 1: 6-11 primary, 12-14 junior middle."),
    ]
    lines += [stage_line(total.stages[stage], t) for stage in STAGES]
    suspected = sum(f.suspected for f in total.stages.values())
    exempted = sum(f.exempted for f in total.stages.values())
    lines.append(
        t(
            "Suspected dropouts: {suspected} (in school until verified); exempted: {exempted} "
            "(not counted)",
            suspected=suspected,
            exempted=exempted,
        )
    )
    parts = rates.townships if view.scope == COUNTY else rates.villages
    lines += ["", t("<b>By township</b>") if view.scope == COUNTY else t("<b>By village</b>")]
    for item in parts:
        lines += _place_block(item, t)
    lines += ["", t("<b>Below threshold</b>")]
    lines += [
        t(
            "Thresholds: {stage} enrolment ≥ {enrolment}%, dropout ≤ {dropout}%",
            stage=t(STAGE_NAMES[stage]),
            enrolment=THRESHOLDS[stage].enrolment_min,
            dropout=THRESHOLDS[stage].dropout_max,
        )
        for stage in STAGES
    ]
    if rates.shortfalls:
        lines += [_shortfall_line(s, t) for s in rates.shortfalls]
    else:
        lines.append(t("None: every place meets the thresholds."))
    if view.scope != COUNTY:
        lines += _names(t("Suspected dropouts"), view.suspected, t)
        lines += _names(t("Dropouts"), view.dropouts, t)
    return View("\n".join(lines))
