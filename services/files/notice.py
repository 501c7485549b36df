"""The monthly notice as files: an Excel workbook (openpyxl) and a ranking chart (matplotlib).

Both are CPU work: async callers run them in a thread (`asyncio.to_thread`). Texts come
through the caller's translate function, so the files are in the reader's language.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources
from typing import Any

from openpyxl import Workbook

from domain.coverage import Coverage
from domain.notice import RankedUnit, UnitStanding
from services.files.sheets import add_sheet
from services.reports.notice import MonthlyNotice, PeriodLabels

Translate = Callable[..., str]

PERCENT = "0%"
# Past twice this many ranked units, the chart shows the best and the worst this many.
CHART_EACH = 15


def _row(rank: int | None, standing: UnitStanding, t: Translate) -> list[object]:
    """A unit's figures; a share reads "no duty" where nothing is assigned (0 of 0)."""

    def share(coverage: Coverage) -> float | str:
        return t("no duty") if coverage.ratio is None else coverage.ratio

    return [
        rank,
        standing.unit_code,
        standing.unit_name,
        standing.households.assigned,
        standing.households.covered,
        share(standing.households),
        standing.villages.assigned,
        standing.villages.covered,
        standing.ledgers.assigned,
        standing.ledgers.covered,
        share(standing.ledgers),
        standing.overdue_milestones,
    ]


def notice_workbook(
    notice: MonthlyNotice, t: Translate, labels: PeriodLabels | None = None
) -> bytes:
    """Ranking, overdue milestones and dropout cases, one sheet each, headers in `t`'s language.

    Units without paired households follow the ranked ones with no rank; a share where a unit
    has no duty (0 of 0) reads "no duty", never 100%."""
    labels = labels or PeriodLabels.iso(notice)
    workbook = Workbook()
    workbook.remove(workbook.active)
    ranking = [_row(ranked.rank, ranked.standing, t) for ranked in notice.ranking]
    ranking += [_row(None, standing, t) for standing in notice.unranked]
    add_sheet(
        workbook,
        t("Ranking"),
        [
            t("Rank"),
            t("Unit code"),
            t("Unit"),
            t("Households paired"),
            t("Households visited ({quarter})", quarter=labels.quarter),
            t("Visit coverage"),
            t("Villages paired"),
            t("Villages visited ({month})", month=labels.month),
            t("Ledgers"),
            t("Ledgers complete ({year})", year=notice.ledger_year),
            t("Ledger completion"),
            t("Overdue milestones"),
        ],
        ranking,
    )
    sheet = workbook[t("Ranking")]
    for column in ("F", "K"):
        for cell in sheet[column][1:]:
            cell.number_format = PERCENT
    add_sheet(
        workbook,
        t("Overdue milestones"),
        [t("Due date"), t("Milestone"), t("Days overdue"), t("Units not done")],
        [
            [o.due_date, o.title, o.days_overdue, "、".join(o.units_not_done)]
            for o in notice.overdue
        ],
    )
    for cell in workbook[t("Overdue milestones")]["A"][1:]:
        cell.number_format = "yyyy-mm-dd"
    if notice.dropout_cases:
        add_sheet(
            workbook,
            t("Dropout cases"),
            [t("Cases"), t("Count")],
            [[t(label), count] for label, count in notice.dropout_cases.items()],
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@cache
def _cjk_font() -> Any:
    """Noto Sans CJK SC from the mplfonts wheel: the chart's unit names are Chinese and
    servers rarely have a CJK font installed."""
    from matplotlib import font_manager

    path = resources.files("mplfonts") / "fonts" / "NotoSansCJKsc-Regular.otf"
    return font_manager.FontProperties(fname=str(path))


def charted(ranking: Sequence[RankedUnit]) -> list[RankedUnit]:
    """The units the chart shows: all of them, or past 2 x CHART_EACH the CHART_EACH best
    and the CHART_EACH worst (hundreds of bars are unreadable, and slow to draw)."""
    if len(ranking) <= 2 * CHART_EACH:
        return list(ranking)
    return [*ranking[:CHART_EACH], *ranking[-CHART_EACH:]]


def notice_chart(notice: MonthlyNotice, t: Translate, labels: PeriodLabels | None = None) -> bytes:
    """A horizontal bar chart of household-visit coverage by unit, best at the top (PNG)."""
    from matplotlib.figure import Figure  # Figure needs no GUI backend and no global state

    labels = labels or PeriodLabels.iso(notice)
    font = _cjk_font()
    ranking = charted(notice.ranking)
    capped = len(ranking) < len(notice.ranking)
    units = list(reversed(ranking))  # barh draws bottom-up: best at the top
    names = [f"{r.rank}. {r.standing.unit_name}" for r in units]
    # Ranked units have paired households, so a share; units not ranked have no bar.
    values = [100 * (r.standing.households.ratio or 0.0) for r in units]
    figure = Figure(figsize=(7.5, max(2.5, 0.9 + 0.32 * len(units))), dpi=110)
    axes = figure.subplots()
    bars = axes.barh(names, values, color=["#c0392b" if v < 100 else "#2e86c1" for v in values])
    axes.set_xlim(0, 110)
    axes.bar_label(bars, labels=[f"{v:.0f}%" for v in values], padding=3, fontsize=8)
    if capped:
        axes.axhline(CHART_EACH - 0.5, color="#7f8c8d", linestyle="--", linewidth=0.8)
        title = t(
            "Household visit coverage: the {count} best and {count} worst ({units} ranked), "
            "{quarter} up to {date} (every unit is in the workbook)",
            count=CHART_EACH,
            units=len(notice.ranking),
            quarter=labels.quarter,
            date=labels.as_of,
        )
    else:
        title = t(
            "Household visit coverage by unit, {quarter} up to {date}",
            quarter=labels.quarter,
            date=labels.as_of,
        )
    axes.set_title(title, fontproperties=font, wrap=True)
    for label in axes.get_yticklabels():
        label.set_fontproperties(font)
        label.set_fontsize(8)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
