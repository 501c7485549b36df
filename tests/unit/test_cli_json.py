"""The CLI's JSON writer: the very text of json.dumps(indent=2, ensure_ascii=False), faster."""

from __future__ import annotations

import json
from enum import IntEnum, StrEnum

import pytest

from bot.cli.output import json_text


class Kind(StrEnum):
    HOUSEHOLD = "household"


class Level(IntEnum):
    ONE = 1


@pytest.mark.parametrize(
    "payload",
    [
        {},
        [],
        "栋川镇",
        0,
        {"period": "2026-Q4", "total": {"assigned": 3, "covered": 1}, "by_unit": []},
        {"rows": [{"code": "T1", "name": '光禄镇\n"引号"', "rate": 99.5, "ok": True}]},
        {"nested": [[1, 2], [], {}, (3, 4), None, False, -7, 1e-7, 12345678901234567890]},
        {"enum": Kind.HOUSEHOLD, "level": Level.ONE, "tab\t": "\u2028\x00"},
        {1: "int keys", "2": ["as", {"the": "standard library"}]},
        [{"a": {"b": {"c": [{"d": []}]}}}],
    ],
)
def test_json_text_is_the_standard_librarys_text(payload: object) -> None:
    assert json_text(payload) == json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def test_the_compliance_report_is_streamed_as_the_standard_librarys_text() -> None:
    """Written piece by piece (a province's report is 44 MB): the same text, rows included."""
    from bot.cli.reports import compliance_json
    from domain.coverage import Coverage, CoverageReport, LedgerCoverage, VillageCoverage

    def rows(key: str, items: tuple[Coverage, ...]) -> list[dict[str, object]]:
        return [
            {key: r.key, "name": r.name, "assigned": r.assigned, "covered": r.covered}
            for r in items
        ]

    units = tuple(Coverage(f"U{i}", f'单位{{{i}}}"', 10 * i, i) for i in range(2500))
    cadres = (Coverage("C1", "=HYPERLINK()", 5, 0),)
    total = Coverage("total", "", 7, 3)
    report = CoverageReport(
        "2026-Q4",
        "county",
        total,
        by_unit=units,
        by_cadre=cadres,
        villages=VillageCoverage("2026-11", total, by_township=cadres),
        ledgers=LedgerCoverage(2026, total, by_unit=units[:3], by_cadre=cadres),
    )
    figures = {"assigned": 7, "covered": 3}
    expected = {
        "period": "2026-Q4",
        "total": figures,
        "by_unit": rows("unit_code", units),
        "by_township": [],
        "by_cadre": rows("cadre_code", cadres),
        "village_visits": {
            "month": "2026-11",
            "total": figures,
            "by_unit": [],
            "by_township": rows("township_code", cadres),
        },
        "ledgers": {
            "year": 2026,
            "total": figures,
            "by_unit": rows("unit_code", units[:3]),
            "by_township": [],
            "by_cadre": rows("cadre_code", cadres),
        },
    }
    assert compliance_json(report) == json.dumps(expected, ensure_ascii=False, indent=2) + "\n"
