"""What counts as owed (/mystatus), the progress and deadline rules, and turnover rules."""

from __future__ import annotations

from datetime import date

import pytest

from domain.deadlines import (
    Deadline,
    MilestoneFacts,
    ProgressNote,
    UnitRef,
    county_deadline,
    in_window,
    latest_of,
    unit_deadline,
)
from domain.errors import InputRefused, PermissionRefused
from domain.progress import clean_progress_text, report_month, require_unit_head
from domain.roles import Role
from domain.status import (
    MILESTONE_WINDOW,
    households_owed,
    ledger_season,
    milestone_owed,
    milestones_owed,
)
from domain.turnover import (
    CadreFacts,
    check_cadres,
    check_reassign_pair,
    households_to_move,
    orphan_reason,
)

TODAY = date(2026, 11, 28)


def _deadline(days_left: int, done: bool = False) -> Deadline:
    due = date.fromordinal(TODAY.toordinal() + days_left)
    return Deadline(1, due, "m", "t", 5, done, days_left)


@pytest.mark.parametrize(
    ("days_left", "done", "owed"),
    [
        (0, False, True),
        (MILESTONE_WINDOW.days, False, True),
        (MILESTONE_WINDOW.days + 1, False, False),
        (-28, False, True),  # overdue stays owed
        (2, True, False),  # done is never owed
    ],
)
def test_milestone_owed_within_14_days_or_overdue(days_left: int, done: bool, owed: bool) -> None:
    assert MILESTONE_WINDOW.days == 14
    assert milestone_owed(_deadline(days_left, done)) is owed


def test_milestones_owed_earliest_first() -> None:
    owed = milestones_owed([_deadline(10), _deadline(-3), _deadline(30), _deadline(1, True)])
    assert [d.days_left for d in owed] == [-3, 10]


def test_households_owed_are_the_unvisited_never_visited_first() -> None:
    owed = households_owed(
        [
            (1, "H1", "a", "v", date(2026, 9, 1), False),
            (2, "H2", "b", "v", date(2026, 11, 1), True),
            (3, "H3", "c", "v", None, False),
            (4, "H4", "d", "v", date(2026, 6, 1), False),
        ]
    )
    assert [h.code for h in owed] == ["H3", "H4", "H1"]


@pytest.mark.parametrize(
    ("today", "year", "opens", "deadline"),
    [
        (date(2026, 9, 1), 2026, date(2026, 9, 1), date(2026, 11, 30)),  # opening day
        (date(2026, 11, 30), 2026, date(2026, 9, 1), date(2026, 11, 30)),  # deadline day
        (date(2026, 12, 20), 2026, date(2026, 9, 1), date(2026, 11, 30)),  # after, still owed
        (date(2027, 3, 1), 2026, date(2026, 9, 1), date(2026, 11, 30)),  # until the next opens
        (date(2027, 9, 1), 2027, date(2027, 9, 1), date(2027, 11, 30)),
    ],
)
def test_ledger_season(today: date, year: int, opens: date, deadline: date) -> None:
    season = ledger_season(today, (9, 1))
    assert (season.year, season.opens, season.deadline) == (year, opens, deadline)


def test_ledger_days_left_turns_negative_after_the_deadline() -> None:
    season = ledger_season(date(2026, 12, 2), (9, 1))
    assert season.days_left(date(2026, 12, 2)) == -2


def test_only_unit_heads_report_progress() -> None:
    require_unit_head(Role.UNIT_HEAD)
    for role in (Role.CADRE, Role.SUPERVISOR, Role.ADMIN):
        with pytest.raises(PermissionRefused) as refused:
            require_unit_head(role)
        assert refused.value.reason == "progress_unit_head_only"


def test_progress_text_is_trimmed_and_bounded() -> None:
    assert clean_progress_text("  done half  ") == "done half"
    assert len(clean_progress_text("x" * 1000)) == 1000
    with pytest.raises(InputRefused) as refused:
        clean_progress_text("x" * 1001)
    assert (refused.value.reason, refused.value.params) == (
        "progress_too_long",
        {"limit": 1000, "length": 1001},
    )
    with pytest.raises(InputRefused):
        clean_progress_text("   ")


def test_report_month_is_yyyy_mm() -> None:
    assert report_month(date(2026, 3, 31)) == "2026-03"


FACTS = MilestoneFacts(7, date(2026, 11, 30), "m", "t", 5, ("all",), closed=False)
UNITS = [
    UnitRef(1, "JYG", "教育股", "section"),
    UnitRef(2, "CS1", "中心校", "central_school"),
]


def test_a_unit_is_done_when_its_latest_report_says_so() -> None:
    assert not unit_deadline(FACTS, TODAY, None).done
    not_yet = ProgressNote(1, "教育股", "2026-11", "half", False)
    assert not unit_deadline(FACTS, TODAY, not_yet).done
    done = ProgressNote(1, "教育股", "2026-11", "all", True)
    assert unit_deadline(FACTS, TODAY, done).done
    assert unit_deadline(FACTS, date(2026, 12, 5), None).overdue


def test_county_view_counts_concerned_units_done() -> None:
    done = ProgressNote(1, "教育股", "2026-10", "all", True)
    later = ProgressNote(2, "中心校", "2026-11", "half", False)
    item = county_deadline(FACTS, TODAY, UNITS, {1: done, 2: later})
    assert (item.units_done, item.units_concerned, item.done) == (1, 2, False)
    assert item.latest == later
    school_only = MilestoneFacts(
        8, date(2026, 11, 30), "m", "t", 5, ("kind:central_school",), False
    )
    item = county_deadline(
        school_only, TODAY, UNITS, {2: ProgressNote(2, "x", "2026-11", "", True)}
    )
    assert (item.units_done, item.units_concerned, item.done) == (1, 1, True)


def test_latest_of_takes_the_latest_month() -> None:
    notes = [ProgressNote(1, "a", "2026-11", "", False), ProgressNote(2, "b", "2026-09", "", True)]
    assert latest_of(notes) == notes[0]
    assert latest_of([]) is None


def test_window_is_60_days_back_and_120_ahead() -> None:
    assert in_window(date(2026, 9, 29), TODAY) and not in_window(date(2026, 9, 28), TODAY)
    assert in_window(date(2027, 3, 28), TODAY) and not in_window(date(2027, 3, 29), TODAY)


def test_reassign_rules() -> None:
    with pytest.raises(InputRefused, match="reassign_same_cadre"):
        check_reassign_pair("C1", "C1")
    active = CadreFacts(1, "C1", "a", True)
    gone = CadreFacts(2, "C2", "b", False)
    check_cadres("C2", gone, "C1", active)  # a departed cadre's households may leave
    with pytest.raises(PermissionRefused, match="inactive_cadre"):
        check_cadres("C1", active, "C2", gone)
    with pytest.raises(InputRefused, match="unknown_cadre"):
        check_cadres("C1", active, "C9", None)
    assert households_to_move(["H2", "H1"], None, "C1") == ["H1", "H2"]
    assert households_to_move(["H2", "H1"], ["H2", "H2"], "C1") == ["H2"]
    with pytest.raises(PermissionRefused) as refused:
        households_to_move(["H1"], ["H1", "H7", "H8"], "C1")
    assert refused.value.params == {"code": "C1", "households": "H7, H8"}
    with pytest.raises(InputRefused, match="nothing_to_reassign"):
        households_to_move([], None, "C1")


def test_orphan_reason() -> None:
    assert orphan_reason(None) == "no_pairing"
    assert orphan_reason(False) == "holder_inactive"
    assert orphan_reason(True) is None
