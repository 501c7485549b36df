"""The monthly notice as text: totals, the ranking's head and tail, overdue milestones."""

from __future__ import annotations

from domain.coverage import Coverage
from domain.notice import UnitStanding
from services.reports.notice import MonthlyNotice, PeriodLabels
from ui.figures import NO_DUTY, percent_text
from ui.i18n import N_, Translator
from ui.render import bracket_text, date_text, esc, list_text, month_text, quarter_text

# services.dropouts.COUNT_LABELS, marked here for the catalogue.
DROPOUT_COUNT_LABELS = (
    N_("open"),
    N_("overdue"),
    N_("reported this month"),
    N_("closed this month"),
)
# The text shows the head and the tail of the ranking; the workbook has every unit.
SHOWN_AT_EACH_END = 5
OVERDUE_SHOWN = 10
UNITS_NAMED = 3


def _figure(coverage: Coverage, t: Translator) -> str:
    return f"{coverage.covered}/{coverage.assigned}" + bracket_text(t, percent_text(coverage, t))


def _ranked_line(rank: int, standing: UnitStanding, t: Translator) -> str:
    """One unit's figures; 0 of 0 reads "no duty", never 100%."""
    villages = standing.villages
    village = f"{villages.covered}/{villages.assigned}" if villages.assigned else t(NO_DUTY)
    return t(
        "{rank}. {unit}: households {households}, village {village}, ledgers {ledgers}, "
        "overdue {overdue}",
        rank=rank,
        unit=esc(standing.unit_name),
        households=percent_text(standing.households, t),
        village=village,
        ledgers=percent_text(standing.ledgers, t),
        overdue=standing.overdue_milestones,
    )


def _unranked_line(standing: UnitStanding, t: Translator) -> str:
    """A unit with a village but no paired households (so no ledgers either)."""
    village = f"{standing.villages.covered}/{standing.villages.assigned}"
    return t(
        "\u2022 {unit}: village {village}, overdue {overdue}",
        unit=esc(standing.unit_name),
        village=village,
        overdue=standing.overdue_milestones,
    )


def _units(names: tuple[str, ...], t: Translator) -> str:
    shown = list_text(t, names[:UNITS_NAMED])
    if len(names) > UNITS_NAMED:
        return t("{names} and {count} more", names=shown, count=len(names) - UNITS_NAMED)
    return shown


def render_notice(notice: MonthlyNotice, t: Translator) -> str:
    """The notice's text in the reader's language (HTML; split it with ui.render.chunks)."""
    lines = [
        t(
            "<b>Monthly notice {month}</b> (as of {date})",
            month=month_text(t, notice.month),
            date=date_text(t, notice.as_of),
        ),
        t(
            "Households visited in {quarter}: {figure}",
            quarter=quarter_text(t, notice.quarter),
            figure=_figure(notice.households, t),
        ),
    ]
    if notice.villages.assigned:  # a county without unit-village pairings skips the line
        lines.append(
            t("Units at their village this month: {figure}", figure=_figure(notice.villages, t))
        )
    lines += [
        t(
            "Ledgers complete for {year}: {figure}",
            year=notice.ledger_year,
            figure=_figure(notice.ledgers, t),
        ),
        "",
        t("<b>Ranking</b>"),
    ]
    ranking = notice.ranking
    if len(ranking) <= 2 * SHOWN_AT_EACH_END:
        lines += [_ranked_line(r.rank, r.standing, t) for r in ranking]
    else:
        lines += [_ranked_line(r.rank, r.standing, t) for r in ranking[:SHOWN_AT_EACH_END]]
        lines.append("…")
        lines += [_ranked_line(r.rank, r.standing, t) for r in ranking[-SHOWN_AT_EACH_END:]]
    if notice.unranked:
        lines.append(t("Not ranked (no paired households):"))
        lines += [_unranked_line(s, t) for s in notice.unranked]
    lines += ["", t("<b>Overdue milestones</b>: {count}", count=len(notice.overdue))]
    for overdue in notice.overdue[:OVERDUE_SHOWN]:
        due, units = date_text(t, overdue.due_date), esc(_units(overdue.units_not_done, t))
        lines.append(
            t.plural(
                "{date} {title}: {count} day overdue; not done: {units}",
                "{date} {title}: {count} days overdue; not done: {units}",
                overdue.days_overdue,
                date=due,
                title=esc(overdue.title),
                units=units,
            )
        )
    if len(notice.overdue) > OVERDUE_SHOWN:
        lines.append(
            t("… and {count} more in the workbook", count=len(notice.overdue) - OVERDUE_SHOWN)
        )
    if notice.dropout_cases:
        lines += ["", t("<b>Dropout cases</b>")]
        lines += [
            t("{label}: {count}", label=esc(t(label)), count=count)
            for label, count in notice.dropout_cases.items()
        ]
    return "\n".join(lines)


def period_labels(notice: MonthlyNotice, t: Translator) -> PeriodLabels:
    """The workbook's and the chart's quarter, month and day in `t`'s language."""
    return PeriodLabels(
        quarter_text(t, notice.quarter),
        month_text(t, notice.month),
        date_text(t, notice.as_of),
    )
