"""Which milestones a person should see, and in what order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

LOOK_BACK = timedelta(days=60)
LOOK_AHEAD = timedelta(days=120)
MAX_SHOWN = 15


@dataclass(frozen=True)
class Deadline:
    milestone_id: int
    due_date: date
    title: str
    task_title: str
    campaign_number: int
    done: bool
    days_left: int

    @property
    def overdue(self) -> bool:
        return not self.done and self.days_left < 0


def nearest_first(deadlines: list[Deadline]) -> list[Deadline]:
    """Open items by distance from today (overdue and upcoming together), done ones last."""
    ordered = sorted(deadlines, key=lambda d: (d.done, abs(d.days_left), d.due_date))
    return ordered[:MAX_SHOWN]
