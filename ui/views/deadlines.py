"""/deadlines as text: milestones nearest first, done or overdue, with the latest progress."""

from __future__ import annotations

from domain.deadlines import Deadline
from services.reports.deadlines import DeadlineList
from ui.i18n import Translator
from ui.render import bracket_text, clauses_text, date_text, esc, month_text
from ui.view import View

# Progress notes are shown cut to this many characters under their milestone.
PROGRESS_SHOWN = 120


def _state(item: Deadline, t: Translator) -> str:
    if item.done:
        return t("done")
    if item.overdue:
        return overdue_text(-item.days_left, t)
    if item.days_left == 0:
        return t("due today")
    return in_days_text(item.days_left, t)


def overdue_text(days: int, t: Translator) -> str:
    """`⚠️ overdue by 1 day` / `… by 3 days`."""
    return t.plural(
        "\u26a0\ufe0f overdue by {count} day", "\u26a0\ufe0f overdue by {count} days", days
    )


def in_days_text(days: int, t: Translator) -> str:
    return t.plural("in {count} day", "in {count} days", days)


def _line(item: Deadline, t: Translator) -> str:
    parts = [t("campaign {n}", n=item.campaign_number), _state(item, t)]
    if item.units_concerned:
        parts.append(
            t("units done: {done}/{total}", done=item.units_done, total=item.units_concerned)
        )
    when = date_text(t, item.due_date)
    return f"\u2022 {when} \u2014 {esc(item.title)}" + bracket_text(t, clauses_text(t, parts))


def _progress_line(item: Deadline, t: Translator, *, county: bool) -> str:
    """The latest report under its milestone; the county view names the reporting unit."""
    note = item.latest
    assert note is not None
    text = note.text if len(note.text) <= PROGRESS_SHOWN else note.text[:PROGRESS_SHOWN] + "\u2026"
    who = f"{esc(note.unit_name)} " if county else ""
    mark = " \u2713" if note.done else ""
    return (
        "   \u21b3 "
        + t("progress {month}: {text}", month=month_text(t, note.month), text=who + esc(text))
        + mark
    )


def deadlines_view(listing: DeadlineList, t: Translator) -> View:
    """The unit's (or, for supervisors, every unit's) milestones near today."""
    header = (
        t("<b>Milestones of {unit}</b>", unit=esc(listing.unit_name))
        if listing.unit_name
        else t("<b>Milestones of all units</b>")
    )
    if not listing.items:
        return View(header + "\n" + t("No milestones due in the coming months."))
    lines = [header]
    for item in listing.items:
        lines.append(_line(item, t))
        if item.latest is not None:
            lines.append(_progress_line(item, t, county=listing.unit_name is None))
    return View("\n".join(lines))
