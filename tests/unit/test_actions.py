"""Button intents pack into Telegram's callback data and come back only when well formed."""

from __future__ import annotations

import pytest

from ui.actions import (
    CALLBACK_DATA_LIMIT,
    HouseholdPage,
    LedgerStatus,
    PickHousehold,
    PickLanguage,
    ProgressDone,
    VisitStep,
    parse_action,
)
from ui.view import Button, page_count, paged


def test_an_action_round_trips_in_aiograms_wire_format() -> None:
    assert PickHousehold(household_id=42).pack() == "vh:42"
    assert LedgerStatus(member_id=7, status="enrolled", record=5).pack() == "lds:7:enrolled:5"
    assert ProgressDone(milestone_id=3, done=True).pack() == "prd:3:1"
    assert PickHousehold.unpack("vh:42") == PickHousehold(household_id=42)
    assert parse_action("lds:7:enrolled:5") == LedgerStatus(
        member_id=7, status="enrolled", record=5
    )
    assert parse_action("prd:3:0") == ProgressDone(milestone_id=3, done=False)


@pytest.mark.parametrize(
    "forged",
    [
        "vh:2147483648",  # past a 32-bit key: would crash the query
        "vh:-2147483649",
        "vh:99999999999",
        "vh:1e3",
        "vh: 12",
        "vh:",
        "vh:1:2",  # one part too many
        "vh",
        "vs:ok:extra",
        "prd:3:yes",
        "zz:1",  # no such action
        "",
    ],
)
def test_forged_or_malformed_data_is_no_action(forged: str) -> None:
    assert parse_action(forged) is None


def test_the_largest_32_bit_id_is_still_an_id() -> None:
    assert PickHousehold.unpack("vh:2147483647") == PickHousehold(household_id=2**31 - 1)


def test_one_kind_never_unpacks_anothers_data() -> None:
    assert VisitStep.unpack("vh:1") is None


def test_a_value_with_the_separator_or_over_64_bytes_is_refused_at_packing() -> None:
    with pytest.raises(ValueError, match="contains"):
        PickLanguage(code="a:b").pack()
    with pytest.raises(ValueError, match=str(CALLBACK_DATA_LIMIT)):
        PickLanguage(code="x" * 70).pack()


def _items(count: int) -> list[Button]:
    return [Button(f"H{i}", PickHousehold(household_id=i)) for i in range(count)]


def test_paged_shows_one_page_and_the_navigation() -> None:
    rows = paged(_items(20), 1, lambda page: HouseholdPage(page=page), size=8)
    assert [row[0].label for row in rows[:-1]] == [f"H{i}" for i in range(8, 16)]
    assert [b.label for b in rows[-1]] == ["\u2190", "2/3", "\u2192"]
    assert page_count(20, 8) == 3


def test_paged_clamps_a_stale_page_and_hides_navigation_for_one_page() -> None:
    last = paged(_items(20), 99, lambda page: HouseholdPage(page=page), size=8)
    assert [row[0].label for row in last[:-1]] == [f"H{i}" for i in range(16, 20)]
    assert [b.label for b in last[-1]] == ["\u2190", "3/3"]
    single = paged(_items(3), 0, lambda page: HouseholdPage(page=page), size=8)
    assert len(single) == 3
