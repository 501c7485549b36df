"""Which milestones a person should see, in what order, and how far each unit got."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, timedelta

from domain.plan import selector_matches

LOOK_BACK = timedelta(days=60)
LOOK_AHEAD = timedelta(days=120)
MAX_SHOWN = 15


@dataclass(frozen=True)
class UnitRef:
    """A unit as plan selectors see it (code and kind), with its name for display."""

    id: int
    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class ProgressNote:
    """A unit's latest monthly progress report on one milestone."""

    unit_id: int
    unit_name: str
    month: str
    text: str
    done: bool


@dataclass(frozen=True)
class MilestoneHeading:
    """Which milestone, what it and its task are called (in the viewer's language), when due."""

    milestone_id: int
    due_date: date
    title: str
    task_title: str
    campaign_number: int


@dataclass(frozen=True)
class Deadline(MilestoneHeading):
    done: bool
    days_left: int
    # The viewer's unit's latest report, or (county view) the latest report of any unit.
    latest: ProgressNote | None = None
    # County view only: how many concerned units are done, of how many.
    units_done: int | None = None
    units_concerned: int | None = None

    @property
    def overdue(self) -> bool:
        return not self.done and self.days_left < 0


@dataclass(frozen=True)
class MilestoneFacts(MilestoneHeading):
    """What storage knows about a milestone, already in the viewer's language."""

    selectors: tuple[str, ...]
    closed: bool  # marked done for everyone (milestones.done_at)


def in_window(due: date, today: date) -> bool:
    """Milestones from LOOK_BACK ago to LOOK_AHEAD ahead are the ones worth showing."""
    return today - LOOK_BACK <= due <= today + LOOK_AHEAD


def still_shown(deadline: Deadline, today: date) -> bool:
    """In the window, or overdue and not done: an overdue milestone stays with the units it
    concerns (/deadlines, /mystatus, the /progress picker) until they report it done, however
    long ago it was due. Only done ones fall out of sight after LOOK_BACK."""
    return deadline.overdue or in_window(deadline.due_date, today)


def concerns(selectors: Iterable[str], unit: UnitRef) -> bool:
    """A milestone concerns a unit responsible for or cooperating on its task."""
    return any(selector_matches(s, unit.code, unit.kind) for s in selectors)


def done_for_unit(closed: bool, latest: ProgressNote | None) -> bool:
    """Done for a unit when closed for everyone or when the unit's latest report says done."""
    return closed or (latest is not None and latest.done)


def latest_of(notes: Iterable[ProgressNote]) -> ProgressNote | None:
    """The most recent month wins; among one month's reports the unit order is stable."""
    ordered = sorted(notes, key=lambda n: (n.month, n.unit_id))
    return ordered[-1] if ordered else None


def _deadline(
    facts: MilestoneFacts,
    today: date,
    done: bool,
    latest: ProgressNote | None,
    units_done: int | None = None,
    units_concerned: int | None = None,
) -> Deadline:
    heading = {f.name: getattr(facts, f.name) for f in fields(MilestoneHeading)}
    return Deadline(
        **heading,
        done=done,
        days_left=(facts.due_date - today).days,
        latest=latest,
        units_done=units_done,
        units_concerned=units_concerned,
    )


def unit_deadline(facts: MilestoneFacts, today: date, latest: ProgressNote | None) -> Deadline:
    """One milestone as a unit sees it: its own latest report decides done."""
    return _deadline(facts, today, done_for_unit(facts.closed, latest), latest)


def county_deadline(
    facts: MilestoneFacts,
    today: date,
    units: Iterable[UnitRef],
    latest_by_unit: Mapping[int, ProgressNote],
) -> Deadline:
    """One milestone as a supervisor sees it: done when every concerned unit is done."""
    concerned = [u for u in units if concerns(facts.selectors, u)]
    done_units = sum(1 for u in concerned if done_for_unit(facts.closed, latest_by_unit.get(u.id)))
    all_done = facts.closed or (bool(concerned) and done_units == len(concerned))
    return _deadline(
        facts,
        today,
        all_done,
        latest_of(latest_by_unit.values()),
        units_done=done_units,
        units_concerned=len(concerned),
    )


def nearest_first(deadlines: list[Deadline], limit: int | None = MAX_SHOWN) -> list[Deadline]:
    """Open items by distance from today (overdue and upcoming together), done ones last.

    The limit never drops an overdue item (it is owed until done); it cuts the others.
    """
    ordered = sorted(deadlines, key=lambda d: (d.done, abs(d.days_left), d.due_date))
    if limit is None or len(ordered) <= limit:
        return ordered
    room = max(0, limit - sum(1 for d in ordered if d.overdue))
    kept = {id(d) for d in [d for d in ordered if not d.overdue][:room]}
    return [d for d in ordered if d.overdue or id(d) in kept]


def units_not_done(
    selectors: Iterable[str],
    closed: bool,
    units: Iterable[UnitRef],
    latest_by_unit: Mapping[int, ProgressNote],
) -> list[UnitRef]:
    """Units a milestone concerns (through these selectors) that have not reported it done."""
    chosen = tuple(selectors)
    return [
        u
        for u in units
        if concerns(chosen, u) and not done_for_unit(closed, latest_by_unit.get(u.id))
    ]
