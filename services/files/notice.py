"""The monthly notice as files: an Excel workbook (openpyxl) and a ranking chart (matplotlib).

Both are CPU work: async callers run them in a thread (`asyncio.to_thread`). Texts come
through the caller's translate function, so the files are in the reader's language.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from openpyxl import Workbook

from domain.coverage import Coverage
from services.files.sheets import add_sheet
from services.reports.notice import MonthlyNotice

Translate = Callable[..., str]

PERCENT = "0%"


def _ratio(coverage: Coverage) -> float | None:
    return coverage.ratio if coverage.assigned else None


def notice_workbook(notice: MonthlyNotice, t: Translate) -> bytes:
    """Ranking, overdue milestones and dropout cases, one sheet each, headers in `t`'s language."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    ranking = [
        [
            ranked.rank,
            ranked.standing.unit_code,
            ranked.standing.unit_name,
            ranked.standing.households.assigned,
            ranked.standing.households.covered,
            _ratio(ranked.standing.households),
            ranked.standing.villages.assigned,
            ranked.standing.villages.covered,
            ranked.standing.ledgers.assigned,
            ranked.standing.ledgers.covered,
            _ratio(ranked.standing.ledgers),
            ranked.standing.overdue_milestones,
        ]
        for ranked in notice.ranking
    ]
    add_sheet(
        workbook,
        t("Ranking"),
        [
            t("Rank"),
            t("Unit code"),
            t("Unit"),
            t("Households paired"),
            t("Households visited ({quarter})", quarter=str(notice.quarter)),
            t("Visit coverage"),
            t("Villages paired"),
            t("Villages visited ({month})", month=str(notice.month)),
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


def notice_chart(notice: MonthlyNotice, t: Translate) -> bytes:
    """A horizontal bar chart of household-visit coverage by unit, best at the top (PNG)."""
    from matplotlib.figure import Figure  # Figure needs no GUI backend and no global state

    font = _cjk_font()
    units = list(reversed(notice.ranking))  # barh draws bottom-up: best at the top
    names = [f"{r.rank}. {r.standing.unit_name}" for r in units]
    values = [100 * r.standing.households.ratio for r in units]
    figure = Figure(figsize=(7.5, max(2.5, 0.9 + 0.32 * len(units))), dpi=110)
    axes = figure.subplots()
    bars = axes.barh(names, values, color=["#c0392b" if v < 100 else "#2e86c1" for v in values])
    axes.set_xlim(0, 110)
    axes.bar_label(bars, labels=[f"{v:.0f}%" for v in values], padding=3, fontsize=8)
    axes.set_title(
        t(
            "Household visit coverage by unit, {quarter} up to {date}",
            quarter=str(notice.quarter),
            date=notice.as_of.isoformat(),
        ),
        fontproperties=font,
    )
    for label in axes.get_yticklabels():
        label.set_fontproperties(font)
        label.set_fontsize(8)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
