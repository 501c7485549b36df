"""Schooling rules: the stage by age on September 1, the rates, the thresholds."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.roles import Role
from domain.schooling import (
    COUNTY,
    DROPOUT,
    ENROLMENT,
    JUNIOR,
    PRIMARY,
    THRESHOLDS,
    TOWNSHIP,
    Child,
    Place,
    StageFigures,
    birth_window,
    count_child,
    expected_stage,
    school_year_of,
    schooling_rates,
    schooling_scope,
)

YEAR = 2026  # school year 2026-2027: ages are counted on 2026-09-01


def born(age: int) -> date:
    """A birth date giving `age` on 2026-09-01 (March 1 is safely inside the year)."""
    return date(YEAR - age, 3, 1)


def kids(township: str, village: str, age: int, status: str | None, count: int = 1) -> list[Child]:
    return [
        Child(township, f"{township}镇", village, f"{village}村", born(age), status)
        for _ in range(count)
    ]


def test_school_year_turns_on_september_first() -> None:
    assert school_year_of(date(2027, 8, 31)) == 2026
    assert school_year_of(date(2027, 9, 1)) == 2027
    assert school_year_of(date(2026, 12, 31)) == 2026
    assert school_year_of(date(2027, 1, 1)) == 2026


def test_a_child_turning_six_on_september_first_starts_primary_that_year() -> None:
    assert expected_stage(date(2020, 9, 1), YEAR) == PRIMARY  # 6 on 2026-09-01
    assert expected_stage(date(2020, 9, 2), YEAR) is None  # 6 only on 2026-09-02: next year
    assert expected_stage(date(2020, 9, 2), YEAR + 1) == PRIMARY


def test_primary_junior_and_end_of_compulsory_age() -> None:
    assert expected_stage(date(2014, 9, 2), YEAR) == PRIMARY  # 11 on Sept 1
    assert expected_stage(date(2014, 9, 1), YEAR) == JUNIOR  # 12 on Sept 1
    assert expected_stage(date(2011, 9, 2), YEAR) == JUNIOR  # 14 on Sept 1
    assert expected_stage(date(2011, 9, 1), YEAR) is None  # 15 on Sept 1: compulsory years done


def test_leap_day_birthdays() -> None:
    # Born 2020-02-29: 6 on 2026-09-01 (the birthday passed on March 1).
    assert expected_stage(date(2020, 2, 29), YEAR) == PRIMARY


def test_birth_window_matches_the_stage_rule() -> None:
    after, until = birth_window(YEAR)
    assert (after, until) == (date(2011, 9, 1), date(2020, 9, 1))
    day = date(2010, 1, 1)
    while day < date(2021, 12, 31):
        inside = after < day <= until
        assert inside == (expected_stage(day, YEAR) is not None), day
        day = date.fromordinal(day.toordinal() + 1)


def test_how_each_status_counts() -> None:
    figures = StageFigures(PRIMARY)
    for status in ("enrolled", "suspected_dropout", "dropout", "exempted", "graduated", None):
        figures = count_child(figures, status)
    # exempted is left out; 5 children: in school = enrolled + suspected; 1 dropout; 2 other.
    assert (figures.children, figures.in_school, figures.suspected) == (5, 2, 1)
    assert (figures.dropouts, figures.exempted, figures.other) == (1, 1, 2)
    assert figures.enrolment_rate == Fraction(2, 5)
    assert figures.dropout_rate == Fraction(1, 3)  # dropouts / (in school + dropouts)


def test_thresholds_are_inclusive_and_compared_exactly() -> None:
    at_limit = StageFigures(PRIMARY, children=200, in_school=199, dropouts=0)
    assert at_limit.enrolment_percent == Decimal("99.50") and at_limit.failing() == ()
    below = StageFigures(PRIMARY, children=2000, in_school=1989)  # 99.45%
    assert below.failing() == (ENROLMENT,)
    # 3 of 500 is exactly 0.6%: allowed; 4 of 500 is not.
    assert StageFigures(PRIMARY, children=500, in_school=497, dropouts=3).failing() == (
        ENROLMENT,
    )  # 497/500 = 99.4% enrolment fails, dropout 0.6% passes
    assert StageFigures(PRIMARY, children=500, in_school=500, dropouts=0).failing() == ()
    base = StageFigures(PRIMARY, children=1000, in_school=997, dropouts=3)
    assert base.dropout_rate == Fraction(3, 1000) and DROPOUT not in base.failing()
    high = StageFigures(PRIMARY, children=1000, in_school=993, dropouts=7)
    assert DROPOUT in high.failing()
    junior = StageFigures(JUNIOR, children=100, in_school=99, dropouts=1)
    assert junior.failing() == ()  # 99% enrolment and 1% dropout meet 99% and 1.8%


@settings(max_examples=400, deadline=None)
@given(
    stage=st.sampled_from([PRIMARY, JUNIOR]),
    in_school=st.integers(0, 10**7),
    out_of_school=st.integers(0, 10**5),
    dropouts=st.integers(0, 10**5),
)
def test_integer_percents_and_thresholds_agree_with_exact_fractions(
    stage: str, in_school: int, out_of_school: int, dropouts: int
) -> None:
    """The percents and the threshold tests, written in integers, are the exact rational
    ones: floor/ceiling of the rate at two decimals, comparisons with no rounding."""
    children = in_school + out_of_school + dropouts
    figures = StageFigures(stage, children=children, in_school=in_school, dropouts=dropouts)
    limits = THRESHOLDS[stage]
    if children:
        enrolment = Fraction(in_school * 100, children)
        assert figures.enrolment_percent == Decimal(math.floor(enrolment * 100)) / 100
        assert (ENROLMENT in figures.failing()) == (enrolment < Fraction(limits.enrolment_min))
    else:
        assert figures.enrolment_percent is None
    if in_school + dropouts:
        dropout = Fraction(dropouts * 100, in_school + dropouts)
        assert figures.dropout_percent == Decimal(math.ceil(dropout * 100)) / 100
        assert (DROPOUT in figures.failing()) == (dropout > Fraction(limits.dropout_max))
    else:
        assert figures.dropout_percent is None


def test_rounding_never_flatters() -> None:
    # 1989/1999 = 99.4997...%: shown as 99.49, not 99.50, since it fails.
    figures = StageFigures(PRIMARY, children=1999, in_school=1989)
    assert figures.enrolment_percent == Decimal("99.49")
    assert StageFigures(PRIMARY, children=15, in_school=14, dropouts=1).dropout_percent == (
        Decimal("6.67")
    )


def hand_county() -> list[Child]:
    """The county the tests count by hand (school year 2026).

    T1 V1: primary 8 enrolled + 1 suspected + 1 dropout; junior 4 enrolled + 1 exempted.
    T1 V2: primary 5 enrolled; junior 2 enrolled + 1 graduated (finished early: not in school).
    T2 V3: primary 199 enrolled + 1 suspended; junior 99 enrolled + 1 dropout.
    Also two children outside 6-14 (ages 5 and 15), ignored.
    """
    return [
        *kids("T1", "V1", 7, "enrolled", 8),
        *kids("T1", "V1", 9, "suspected_dropout"),
        *kids("T1", "V1", 10, "dropout"),
        *kids("T1", "V1", 13, "enrolled", 4),
        *kids("T1", "V1", 12, "exempted"),
        *kids("T1", "V2", 6, "enrolled", 5),
        *kids("T1", "V2", 14, "enrolled", 2),
        *kids("T1", "V2", 14, "graduated"),
        *kids("T2", "V3", 8, "enrolled", 199),
        *kids("T2", "V3", 11, "suspended"),
        *kids("T2", "V3", 12, "enrolled", 99),
        *kids("T2", "V3", 13, "dropout"),
        *kids("T2", "V3", 5, "not_school_age"),
        *kids("T2", "V3", 15, "enrolled"),
    ]


def test_rates_agree_with_the_hand_count() -> None:
    rates = schooling_rates(hand_county(), YEAR)
    # County primary: children 10 + 5 + 200 = 215; in school 9 + 5 + 199 = 213;
    # 213/215 = 99.069...% -> 99.06 (fails 99.5); dropouts 1 of 213 + 1 = 214 -> 0.4672...% -> 0.47.
    primary = rates.total.stages[PRIMARY]
    assert (primary.children, primary.in_school, primary.dropouts) == (215, 213, 1)
    assert primary.enrolment_percent == Decimal("99.06")
    assert primary.dropout_percent == Decimal("0.47")
    assert primary.suspected == 1 and primary.other == 1
    # County junior: children 4 + 3 + 100 = 107 (1 exempted left out); in school 4 + 2 + 99 = 105;
    # 105/107 = 98.13% (fails 99); dropouts 1 of 106 = 0.943...% -> 0.95 (meets 1.8).
    junior = rates.total.stages[JUNIOR]
    assert (junior.children, junior.in_school, junior.dropouts, junior.exempted) == (
        107,
        105,
        1,
        1,
    )
    assert junior.enrolment_percent == Decimal("98.13")
    assert junior.dropout_percent == Decimal("0.95")

    townships = {p.place.code: p for p in rates.townships}
    assert list(townships) == ["T1", "T2"]
    t1 = townships["T1"].stages
    assert (t1[PRIMARY].children, t1[PRIMARY].in_school, t1[PRIMARY].dropouts) == (15, 14, 1)
    assert t1[PRIMARY].enrolment_percent == Decimal("93.33")
    assert t1[PRIMARY].dropout_percent == Decimal("6.67")
    assert (t1[JUNIOR].children, t1[JUNIOR].in_school) == (7, 6)  # 85.71%
    t2 = townships["T2"].stages  # exactly at both primary limits and the junior ones
    assert t2[PRIMARY].enrolment_percent == Decimal("99.50")
    assert t2[JUNIOR].enrolment_percent == Decimal("99.00")
    assert t2[JUNIOR].dropout_percent == Decimal("1.00")

    named = {(s.place.level, s.place.code, s.stage, s.indicator) for s in rates.shortfalls}
    assert named == {
        ("county", "", PRIMARY, ENROLMENT),
        ("county", "", JUNIOR, ENROLMENT),
        ("township", "T1", PRIMARY, ENROLMENT),
        ("township", "T1", PRIMARY, DROPOUT),
        ("township", "T1", JUNIOR, ENROLMENT),
        ("village", "V1", PRIMARY, ENROLMENT),  # 9/10 = 90%
        ("village", "V1", PRIMARY, DROPOUT),  # 1/10 = 10%
        ("village", "V2", JUNIOR, ENROLMENT),  # 2/3 = 66.66%
    }
    v1 = next(s for s in rates.shortfalls if s.place.code == "V1")
    assert v1.place.label == "T1镇 V1村"


def test_a_township_view_counts_it_once() -> None:
    children = [c for c in hand_county() if c.township_code == "T1"]
    rates = schooling_rates(children, YEAR, Place("township", "T1", "T1镇"))
    assert rates.townships == ()  # the township is the whole
    assert rates.total.stages[PRIMARY].children == 15
    assert [v.place.code for v in rates.villages] == ["V1", "V2"]


def test_who_sees_schooling() -> None:
    assert schooling_scope(Role.SUPERVISOR, "office") == COUNTY
    assert schooling_scope(Role.ADMIN, "office") == COUNTY
    assert schooling_scope(Role.CADRE, "central_school") == TOWNSHIP
    assert schooling_scope(Role.UNIT_HEAD, "central_school") == TOWNSHIP
    assert schooling_scope(Role.CADRE, "section") is None
    assert schooling_scope(Role.UNIT_HEAD, "school") is None


@pytest.mark.parametrize("status", ["enrolled", "suspected_dropout"])
def test_in_school_statuses(status: str) -> None:
    assert count_child(StageFigures(JUNIOR), status).in_school == 1


def test_stage_births_are_expected_stage_as_date_ranges() -> None:
    from datetime import timedelta

    from domain.schooling import stage_births

    for year in (2024, 2026, 2028):
        windows = stage_births(year)
        day = date(year - 20, 1, 1)
        while day < date(year, 12, 31):
            inside = [s for s, (after, until) in windows.items() if after < day <= until]
            assert inside == ([] if (s := expected_stage(day, year)) is None else [s]), day
            day += timedelta(days=1)
