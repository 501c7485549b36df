"""The notice chart of a province: both ends of the ranking, never hundreds of bars."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.coverage import Coverage
from domain.notice import RankedUnit, UnitStanding
from domain.periods import Month, Quarter
from services.files.notice import CHART_EACH, charted, notice_chart
from services.reports.notice import MonthlyNotice


def ranking(units: int) -> list[RankedUnit]:
    return [
        RankedUnit(
            rank,
            UnitStanding(
                f"U{rank:04d}",
                f"单位{rank}",
                Coverage(f"U{rank:04d}", "", 100, 100 - rank % 100),
                Coverage("", "", 1, 1),
                Coverage("", "", 100, 50),
                0,
            ),
        )
        for rank in range(1, units + 1)
    ]


def test_a_county_charts_every_unit() -> None:
    units = ranking(2 * CHART_EACH)
    assert charted(units) == units


def test_a_province_charts_the_best_and_the_worst_units() -> None:
    units = ranking(706)
    shown = charted(units)
    assert [u.rank for u in shown] == [*range(1, 16), *range(692, 707)]


def test_a_capped_chart_says_so_in_its_title() -> None:
    said: list[str] = []

    def t(msgid: str, **values: Any) -> str:
        said.append(msgid)
        return msgid.format(**values)

    month = Month(2026, 11)
    notice = MonthlyNotice(
        month=month,
        as_of=date(2026, 11, 29),
        quarter=Quarter(2026, 4),
        ledger_year=2026,
        ranking=ranking(100),
        overdue=[],
        households=Coverage("total", "", 10_000, 5_000),
        villages=Coverage("total", "", 100, 100),
        ledgers=Coverage("total", "", 10_000, 5_000),
    )
    png = notice_chart(notice, t)
    assert png.startswith(b"\x89PNG")
    assert any("the {count} best and {count} worst ({units} ranked)" in m for m in said)
