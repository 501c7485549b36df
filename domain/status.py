"""What a cadre still owes: the rules behind /mystatus, free of any channel."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from domain.deadlines import Deadline
from domain.ledgers import ledger_year
from domain.periods import Month, Quarter

# Milestones count as owed once they are due within this many days (and while overdue).
MILESTONE_WINDOW = timedelta(days=14)
# The plan's ledger deadline: every paired household's ledger complete by the end of November.
LEDGER_DEADLINE_MONTH_DAY = (11, 30)
# Long lists are cut so the status stays one message with one button per row.
MAX_HOUSEHOLDS_SHOWN = 20
MAX_LEDGERS_SHOWN = 10
MAX_MILESTONES_SHOWN = 10


@dataclass(frozen=True)
class OwedHousehold:
    """A paired household not yet visited this quarter."""

    household_id: int
    code: str
    head_name: str
    village_name: str
    last_visit: date | None


@dataclass(frozen=True)
class VillageMonthStatus:
    """One of the unit's poor villages and whether the unit went there this month."""

    village_id: int
    village_code: str
    village_name: str
    covered: bool


@dataclass(frozen=True)
class OwedLedger:
    """A held household's ledger for the season's year and what it misses (reason codes:
    "needs", "review", "status:<member name>", ...; see domain.ledgers); owed while any."""

    household_id: int
    code: str
    head_name: str
    missing: tuple[str, ...]


@dataclass(frozen=True)
class LedgerSeason:
    """The ledger year being collected and its deadline."""

    year: int
    opens: date
    deadline: date

    def days_left(self, today: date) -> int:
        return (self.deadline - today).days


@dataclass(frozen=True)
class MyStatus:
    """Everything one person still owes today; empty sections mean nothing is owed there."""

    today: date
    quarter: Quarter
    month: Month
    households_total: int
    households: tuple[OwedHousehold, ...]
    villages: tuple[VillageMonthStatus, ...]
    villages_known: bool
    ledger_season: LedgerSeason | None
    ledgers: tuple[OwedLedger, ...]
    milestones: tuple[Deadline, ...]

    @property
    def owes_nothing(self) -> bool:
        return (
            not self.households
            and all(v.covered for v in self.villages)
            and not self.ledgers
            and not self.milestones
        )


def households_owed(
    households: Iterable[tuple[int, str, str, str, date | None, bool]],
) -> tuple[OwedHousehold, ...]:
    """Households (id, code, head, village, last visit, visited this quarter) not yet visited.

    Never-visited households come first, then the longest unvisited, so the most overdue
    visit is at the top of the list.
    """
    owed = [
        OwedHousehold(hid, code, head, village, last)
        for hid, code, head, village, last, visited in households
        if not visited
    ]
    owed.sort(key=lambda h: (h.last_visit is not None, h.last_visit or date.min, h.code))
    return tuple(owed)


def milestone_owed(deadline: Deadline) -> bool:
    """Owed when not done and due within the window (overdue ones stay owed)."""
    return not deadline.done and deadline.days_left <= MILESTONE_WINDOW.days


def milestones_owed(deadlines: Iterable[Deadline]) -> tuple[Deadline, ...]:
    """Owed milestones, the earliest due first."""
    owed = sorted((d for d in deadlines if milestone_owed(d)), key=lambda d: d.due_date)
    return tuple(owed)


def ledger_season(today: date, opens_month_day: tuple[int, int]) -> LedgerSeason:
    """The season whose opening is the latest one on or before today.

    Ledgers show from the opening up to the November deadline and after it while they stay
    incomplete, until the next year's season opens and takes over.
    """
    month, day = opens_month_day
    year = ledger_year(today, opens_month_day)
    deadline_month, deadline_day = LEDGER_DEADLINE_MONTH_DAY
    return LedgerSeason(
        year=year, opens=date(year, month, day), deadline=date(year, deadline_month, deadline_day)
    )
