"""Ranking and overdue rules of the monthly notice, and the month period they use."""

from datetime import date

import pytest

from domain.coverage import Coverage
from domain.errors import InputRefused
from domain.notice import UnitStanding, not_ranked, overdue_on, rank_units
from domain.periods import Month


def standing(code: str, visited: int, village: int, ledgers: int, overdue: int) -> UnitStanding:
    return UnitStanding(
        code,
        code,
        Coverage(code, code, 10, visited),
        Coverage(code, code, 1, village),
        Coverage(code, code, 10, ledgers),
        overdue,
    )


def test_households_first_then_village_then_ledgers_then_fewer_overdue() -> None:
    ranked = rank_units(
        [
            standing("A", 5, 1, 9, 0),
            standing("B", 6, 0, 0, 9),  # most households visited wins whatever else
            standing("C", 5, 1, 9, 2),  # same as A but more overdue
            standing("D", 5, 0, 10, 0),  # no village visit: behind A and C
            standing("E", 5, 1, 3, 0),  # fewer ledgers than A
        ]
    )
    assert [(r.rank, r.standing.unit_code) for r in ranked] == [
        (1, "B"),
        (2, "A"),
        (3, "C"),
        (4, "E"),
        (5, "D"),
    ]


def test_equal_units_share_a_rank_and_the_next_rank_skips() -> None:
    ranked = rank_units(
        [standing("B", 5, 1, 5, 0), standing("A", 5, 1, 5, 0), standing("C", 1, 0, 0, 0)]
    )
    assert [(r.rank, r.standing.unit_code) for r in ranked] == [(1, "A"), (1, "B"), (3, "C")]


def _bare(code: str, households: tuple[int, int], village: tuple[int, int]) -> UnitStanding:
    """A unit whose ledgers follow its households (one ledger per paired household)."""
    return UnitStanding(
        code,
        code,
        Coverage(code, code, *households),
        Coverage(code, code, *village),
        Coverage(code, code, households[0], 0),
        0,
    )


def test_zero_of_zero_is_no_duty_not_a_hundred_percent() -> None:
    assert Coverage("Z", "Z", 0, 0).ratio is None
    assert Coverage("A", "A", 4, 1).ratio == 0.25


def test_a_unit_without_households_is_not_ranked_and_not_first() -> None:
    # 局办公室 after a roster import: a village, no households (it ranked first as "100%").
    office = _bare("BGS", (0, 0), (1, 0))
    ranked = rank_units([standing("A", 1, 0, 0, 0), office, standing("B", 0, 0, 0, 0)])
    assert [(r.rank, r.standing.unit_code) for r in ranked] == [(1, "A"), (2, "B")]
    assert not_ranked([standing("A", 1, 0, 0, 0), office]) == [office]


def test_a_criterion_without_duty_decides_nothing_among_equal_units() -> None:
    # Equal on households; C has no village: the village decides nothing among A, B, C, so
    # A (no village visit) is not put behind C, nor C ahead as if 100%.
    a, b = _bare("A", (4, 2), (1, 0)), _bare("B", (4, 2), (1, 1))
    c = _bare("C", (4, 2), (0, 0))
    better = _bare("D", (4, 4), (0, 0))
    ranked = rank_units([c, b, a, better])
    assert [(r.rank, r.standing.unit_code) for r in ranked] == [
        (1, "D"),
        (2, "A"),
        (2, "B"),
        (2, "C"),
    ]
    # Without C, the village decides between A and B.
    assert [r.standing.unit_code for r in rank_units([a, b])] == ["B", "A"]


def test_overdue_counts_from_the_day_after_the_due_date() -> None:
    assert overdue_on(date(2026, 11, 30), date(2026, 11, 30)) is None
    assert overdue_on(date(2026, 11, 30), date(2026, 12, 1)) == 1
    assert overdue_on(date(2026, 12, 1), date(2026, 11, 30)) is None


def test_month_parse_and_previous() -> None:
    assert Month.parse("2026-11") == Month(2026, 11)
    assert Month.parse(" 2026-3 ") == Month(2026, 3)
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert Month(2024, 3).previous().last_day == date(2024, 2, 29)
    for bad in ("2026-13", "2026-00", "11-2026", "2026/11", "x"):
        with pytest.raises(InputRefused) as refused:
            Month.parse(bad)
        assert refused.value.reason == "bad_month"
