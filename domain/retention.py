"""How long evidence photos and the webhook's update log are kept: what is past retention.

Photos are judged by the **visit's date** (a local date of the plan's time zone), not by
when they were reported: the date is what the visit counts for (its quarter, its year's
assessment), and the evidence folder is laid out by it (`<yyyy>/<mm>/`), so a month's folder
is past retention as a whole once its last day is. The update log (`processed_updates`)
only guards against Telegram delivering an update twice: it is judged by the claim's age.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import PurePath

# Telegram keeps an undelivered update for 24 hours and redelivers it within that time: a
# record forgotten sooner could let a late redelivery be handled twice. Two days at least.
UPDATE_LOG_MIN_DAYS = 2
# The name services.evidence.evidence_path gives a copy: `<kind>-<visit id>-<unique id>.jpg`.
_EVIDENCE_NAME = re.compile(r"(household|village)-\d+-[A-Za-z0-9_-]*\.jpg")
_YEAR, _MONTH = re.compile(r"\d{4}"), re.compile(r"\d{2}")


@dataclass(frozen=True)
class Retention:
    """The deployment's retention: days of evidence (None: kept for good) and of update log."""

    evidence_days: int | None
    update_log_days: int

    def __post_init__(self) -> None:
        if self.evidence_days is not None and self.evidence_days < 1:
            raise ValueError("evidence is kept at least a day, or for good (None)")
        if self.update_log_days < UPDATE_LOG_MIN_DAYS:
            raise ValueError(f"the update log is kept at least {UPDATE_LOG_MIN_DAYS} days")

    def evidence_before(self, today: date) -> date | None:
        """Photos of visits dated before this day are past retention; None: none ever is.
        `today` is the plan time zone's."""
        if self.evidence_days is None:
            return None
        return today - timedelta(days=self.evidence_days)

    def update_log_before(self, now: datetime) -> datetime:
        """Update records claimed before this instant are past retention."""
        return now - timedelta(days=self.update_log_days)


def month_past(year: int, month: int, before: date) -> bool:
    """Whether every day of the month is before `before` (its folder is wholly past)."""
    next_month = date(year + month // 12, month % 12 + 1, 1)
    return next_month <= before


def month_folder(year: str, month: str) -> tuple[int, int] | None:
    """(year, month) of the folders `yyyy/mm` the bot writes copies into; None otherwise."""
    if not (_YEAR.fullmatch(year) and _MONTH.fullmatch(month)):
        return None
    number = int(month)
    return (int(year), number) if 1 <= number <= 12 else None


def evidence_month(relative: PurePath) -> tuple[int, int] | None:
    """(year, month) of a copy's path relative to the evidence folder, `yyyy/mm/<name>.jpg`
    as the bot writes it; None for any other file, which purging leaves alone."""
    parts = relative.parts
    if len(parts) != 3 or not _EVIDENCE_NAME.fullmatch(parts[2]):
        return None
    return month_folder(parts[0], parts[1])


def within(folder: PurePath, path: PurePath) -> bool:
    """Whether `path` lies strictly inside `folder`; both already resolved (no `..`, no
    links), so a link that leads out of the folder is seen as outside."""
    return path != folder and path.is_relative_to(folder)
