"""/deadlines as text: milestones nearest first, done or overdue, with the latest progress."""

from __future__ import annotations

from domain.deadlines import Deadline
from services.reports.deadlines import DeadlineList
from ui.i18n import Translator
from ui.render import esc
from ui.view import View

# Progress notes are shown cut to this many characters under their milestone.
PROGRESS_SHOWN = 120


def _state(item: Deadline, t: Translator) -> str:
    if item.done:
        return t("done")
    if item.overdue:
        return t("\u26a0\ufe0f overdue by {days} days", days=-item.days_left)
    if item.days_left == 0:
        return t("due today")
    return t("in {days} days", days=item.days_left)


def _line(item: Deadline, t: Translator) -> str:
    state = _state(item, t)
    campaign = t("campaign {n}", n=item.campaign_number)
    if item.units_concerned:
        state += "; " + t(
            "units done: {done}/{total}", done=item.units_done, total=item.units_concerned
        )
    return f"\u2022 {item.due_date.isoformat()} \u2014 {esc(item.title)} ({campaign}; {state})"


def _progress_line(item: Deadline, t: Translator, *, county: bool) -> str:
    """The latest report under its milestone; the county view names the reporting unit."""
    note = item.latest
    assert note is not None
    text = note.text if len(note.text) <= PROGRESS_SHOWN else note.text[:PROGRESS_SHOWN] + "\u2026"
    who = f"{esc(note.unit_name)} " if county else ""
    mark = " \u2713" if note.done else ""
    return (
        "   \u21b3 " + t("progress {month}: {text}", month=note.month, text=who + esc(text)) + mark
    )


def deadlines_view(listing: DeadlineList, t: Translator) -> View:
    """The unit's (or, for supervisors, every unit's) milestones near today."""
    header = (
        t("<b>Deadlines of {unit}</b>", unit=esc(listing.unit_name))
        if listing.unit_name
        else t("<b>Deadlines of all units</b>")
    )
    if not listing.items:
        return View(header + "\n" + t("No milestones due in the coming months."))
    lines = [header]
    for item in listing.items:
        lines.append(_line(item, t))
        if item.latest is not None:
            lines.append(_progress_line(item, t, county=listing.unit_name is None))
    return View("\n".join(lines))
