"""Dropout cases written straight into their table, for tests that need one in some state."""

from __future__ import annotations

from datetime import date, datetime

from storage.models import DropoutCase, Member

_STEPS = ("reported", "acknowledged", "confirmed")


def case_reached(
    child: Member, reporter_id: int, reason: str, since: date, state: str, at: datetime
) -> DropoutCase:
    """The child's case, with no central school to follow it, that reached `state` at `at`:
    every step up to `state` (reported, acknowledged, confirmed) was taken at that moment."""
    taken = _STEPS[: _STEPS.index(state) + 1]
    return DropoutCase(
        member_id=child.id,
        household_id=child.household_id,
        school_unit_id=None,
        reporter_id=reporter_id,
        reason=reason,
        since=since,
        state=state,
        **{f"{step}_at": at for step in taken},
    )
