"""The CLI's JSON writer: the very text of json.dumps(indent=2, ensure_ascii=False), faster."""

from __future__ import annotations

import json
from enum import IntEnum, StrEnum

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli.output import flat_records, json_text, write_json


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


_values = st.one_of(
    st.text(max_size=8),
    st.integers(-(10**12), 10**12),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.lists(st.text(max_size=4), max_size=3),
    st.tuples(st.text(max_size=4)),
    st.tuples(st.one_of(st.integers(0, 1), st.booleans(), st.floats(-0.0, 0.0))),
)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(_values, min_size=3, max_size=3), max_size=2100))
def test_flat_records_are_the_standard_librarys_text(rows: list[list[object]]) -> None:
    """Rows of values in field order, written with the keys' text made once: the same text
    as the dicts given to json.dumps, also across the thousand-row pieces."""
    fields = ("code", "名称", 'a "key"')
    written: list[str] = []
    write_json({"rows": flat_records(fields, rows), "after": 1}, written.append)
    dicts = [dict(zip(fields, row, strict=True)) for row in rows]
    expected = json.dumps({"rows": dicts, "after": 1}, ensure_ascii=False, indent=2) + "\n"
    assert "".join(written) == expected


def test_the_schooling_report_is_the_standard_librarys_text() -> None:
    """The rates and the places below threshold, as json.dumps writes the records' fields."""
    from dataclasses import asdict

    from bot.cli.schooling import schooling_json
    from domain.schooling import ChildCount, Place, rates_of_counts
    from services.reports.schooling import rate_records

    counts = [
        ChildCount("T1", "光禄镇", f"V{v}", f'村"{v}"', stage, status, count)
        for v in range(1200)
        for stage, status, count in (
            ("primary", "enrolled", 150 + v % 7),
            ("primary", "dropout", v % 3),
            ("junior", "enrolled", 90),
            ("junior", None, v % 2),
        )
    ]
    records = rate_records(rates_of_counts(counts, 2026, Place("county", "", "")))
    assert any(r.below for r in records) and any(not r.below for r in records)

    def plain(record: object) -> dict[str, object]:
        values = asdict(record)  # type: ignore[call-overload]
        return {
            k: str(v) if v is not None and k.endswith(("percent", "_min", "_max")) else v
            for k, v in values.items()
        } | {"below": list(values["below"])}

    text = schooling_json(records, 2026)
    parsed = json.loads(text)
    assert parsed["rates"] == [plain(r) for r in records]
    assert parsed["below_threshold"] == [plain(r) for r in records if r.below]
    assert text == json.dumps(parsed, ensure_ascii=False, indent=2) + "\n"
