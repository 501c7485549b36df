"""Monthly progress reports on milestones: who may report and what a report may hold."""

from __future__ import annotations

from datetime import date

from domain.errors import InputRefused, PermissionRefused
from domain.periods import Month
from domain.roles import Role

MAX_PROGRESS_LENGTH = 1000
MAX_OPEN_SHOWN = 30


def require_unit_head(role: Role) -> None:
    """The plan asks each unit to report monthly; its head speaks for the unit."""
    if role is not Role.UNIT_HEAD:
        raise PermissionRefused("progress_unit_head_only")


def clean_progress_text(text: str | None) -> str:
    """A report needs words, and no more than fit in a readable monthly note."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise InputRefused("progress_empty")
    if len(cleaned) > MAX_PROGRESS_LENGTH:
        raise InputRefused("progress_too_long", limit=MAX_PROGRESS_LENGTH, length=len(cleaned))
    return cleaned


def report_month(today: date) -> str:
    """Reports are kept one per month (YYYY-MM in the plan's time zone); later ones replace."""
    return str(Month.containing(today))
