"""Which milestones stay in sight: an overdue one until its unit reports it done."""

from __future__ import annotations

from datetime import date, timedelta

from domain.deadlines import LOOK_AHEAD, LOOK_BACK, Deadline, nearest_first, still_shown

TODAY = date(2026, 11, 28)


def deadline(days_left: int, done: bool = False, milestone_id: int = 1) -> Deadline:
    return Deadline(
        milestone_id=milestone_id,
        due_date=TODAY + timedelta(days=days_left),
        title=f"m{milestone_id}",
        task_title="task",
        campaign_number=5,
        done=done,
        days_left=days_left,
    )


def test_an_overdue_milestone_stays_shown_until_done_however_old() -> None:
    old = -LOOK_BACK.days - 30  # 90 days overdue: the notice counts it against the unit
    assert still_shown(deadline(old), TODAY)
    assert still_shown(deadline(-400), TODAY)
    # Done ones fall out of sight after the look-back; upcoming ones within the look-ahead.
    assert not still_shown(deadline(old, done=True), TODAY)
    assert still_shown(deadline(-LOOK_BACK.days, done=True), TODAY)
    assert still_shown(deadline(LOOK_AHEAD.days), TODAY)
    assert not still_shown(deadline(LOOK_AHEAD.days + 1), TODAY)


def test_the_limit_never_drops_an_overdue_milestone() -> None:
    upcoming = [deadline(days, milestone_id=days) for days in range(1, 6)]
    overdue = [deadline(-90, milestone_id=90), deadline(-200, milestone_id=200)]
    shown = nearest_first([*upcoming, *overdue], limit=3)
    assert [d.milestone_id for d in shown] == [1, 90, 200]
    assert [d.milestone_id for d in nearest_first(upcoming, limit=3)] == [1, 2, 3]
