"""A region's figures: exact sums of its counties' integers, counties in a stable order."""

from __future__ import annotations

from domain.coverage import Coverage
from domain.regional import CountyFigures, add_up, regional_coverage

PROVINCE = ("云南省",)
ZHAOTONG = ("云南省", "昭通市")
QUJING = ("云南省", "曲靖市")


def county(code: str, region: tuple[str, ...], households: tuple[int, int]) -> CountyFigures:
    assigned, covered = households
    return CountyFigures(
        code=code,
        name=f"{code}县",
        region=region,
        households=Coverage("total", "", assigned, covered),
        villages=Coverage("total", "", assigned // 10, covered // 10),
        ledgers=Coverage("total", "", assigned, covered // 2),
    )


def test_the_total_sums_integers_not_percentages() -> None:
    small, large = county("a", ZHAOTONG, (10, 10)), county("b", ZHAOTONG, (1000, 500))
    total = add_up([small, large], ZHAOTONG)
    assert (total.households.assigned, total.households.covered) == (1010, 510)
    assert total.households.ratio == 510 / 1010  # not (100% + 50%) / 2
    assert (total.villages.assigned, total.villages.covered) == (101, 51)
    assert (total.ledgers.assigned, total.ledgers.covered) == (1010, 255)
    assert (total.code, total.name, total.counties) == ("云南省/昭通市", "昭通市", 2)


def test_counties_in_a_stable_order_with_prefectures_subtotalled() -> None:
    rows = [
        county("c", QUJING, (30, 3)),
        county("b", ZHAOTONG, (20, 2)),
        county("a", ZHAOTONG, (10, 1)),
        county("d", PROVINCE, (5, 5)),  # right under the province: in no prefecture
    ]
    report = regional_coverage(PROVINCE, "2026-Q4", "2026-11", 2026, rows)
    again = regional_coverage(PROVINCE, "2026-Q4", "2026-11", 2026, reversed(rows))
    assert report == again
    assert [r.code for r in report.counties] == ["d", "a", "b", "c"]
    assert [(r.code, r.counties, r.households.assigned) for r in report.subregions] == [
        ("云南省/昭通市", 2, 30),
        ("云南省/曲靖市", 1, 30),
    ]
    assert report.total.counties == 4
    assert (report.total.households.assigned, report.total.households.covered) == (65, 11)


def test_a_prefecture_has_no_subregions_when_its_counties_lie_in_it() -> None:
    report = regional_coverage(
        ZHAOTONG, "2026-Q4", "2026-11", 2026, [county("a", ZHAOTONG, (1, 0))]
    )
    assert report.subregions == ()
    assert report.total.households == Coverage("total", "", 1, 0)
