"""The monthly notice as text: totals, the ranking's head and tail, overdue milestones."""

from __future__ import annotations

from domain.coverage import Coverage
from domain.notice import RankedUnit
from services.reports.notice import MonthlyNotice
from ui.i18n import N_, Translator
from ui.render import esc

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


def _figure(coverage: Coverage) -> str:
    return f"{coverage.covered}/{coverage.assigned} ({coverage.percent})"


def _ranked_line(ranked: RankedUnit, t: Translator) -> str:
    standing = ranked.standing
    village = f"{standing.villages.covered}/{standing.villages.assigned}"
    return t(
        "{rank}. {unit}: households {households}, village {village}, ledgers {ledgers}, "
        "overdue {overdue}",
        rank=ranked.rank,
        unit=esc(standing.unit_name),
        households=standing.households.percent,
        village=village,
        ledgers=standing.ledgers.percent,
        overdue=standing.overdue_milestones,
    )


def _units(names: tuple[str, ...], t: Translator) -> str:
    shown = "、".join(names[:UNITS_NAMED])
    if len(names) > UNITS_NAMED:
        return t("{names} and {count} more", names=shown, count=len(names) - UNITS_NAMED)
    return shown


def render_notice(notice: MonthlyNotice, t: Translator) -> str:
    """The notice's text in the reader's language (HTML; split it with ui.render.chunks)."""
    lines = [
        t(
            "<b>Monthly notice {month}</b> (as of {date})",
            month=str(notice.month),
            date=notice.as_of.isoformat(),
        ),
        t(
            "Households visited in {quarter}: {figure}",
            quarter=str(notice.quarter),
            figure=_figure(notice.households),
        ),
    ]
    if notice.villages.assigned:  # a county without unit-village pairings skips the line
        lines.append(
            t("Units at their village this month: {figure}", figure=_figure(notice.villages))
        )
    lines += [
        t(
            "Ledgers complete for {year}: {figure}",
            year=notice.ledger_year,
            figure=_figure(notice.ledgers),
        ),
        "",
        t("<b>Ranking</b>"),
    ]
    ranking = notice.ranking
    if len(ranking) <= 2 * SHOWN_AT_EACH_END:
        lines += [_ranked_line(r, t) for r in ranking]
    else:
        lines += [_ranked_line(r, t) for r in ranking[:SHOWN_AT_EACH_END]]
        lines.append("…")
        lines += [_ranked_line(r, t) for r in ranking[-SHOWN_AT_EACH_END:]]
    lines += ["", t("<b>Overdue milestones</b>: {count}", count=len(notice.overdue))]
    for overdue in notice.overdue[:OVERDUE_SHOWN]:
        lines.append(
            t(
                "{date} {title}: {days} days overdue; not done: {units}",
                date=overdue.due_date.isoformat(),
                title=esc(overdue.title),
                days=overdue.days_overdue,
                units=esc(_units(overdue.units_not_done, t)),
            )
        )
    if len(notice.overdue) > OVERDUE_SHOWN:
        lines.append(
            t("… and {count} more in the workbook", count=len(notice.overdue) - OVERDUE_SHOWN)
        )
    if notice.dropout_cases:
        lines += ["", t("<b>Dropout cases</b>")]
        lines += [f"{esc(t(label))}: {count}" for label, count in notice.dropout_cases.items()]
    return "\n".join(lines)
