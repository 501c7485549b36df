"""/progress screens: the open milestones to pick, the prompt, done or not, what was saved."""

from __future__ import annotations

from domain.deadlines import Deadline
from services.progress import OpenMilestones, ProgressSaved
from ui.actions import ProgressDone, ProgressPick
from ui.i18n import Translator
from ui.render import date_text, esc, month_text
from ui.view import Button, View, button, column


def open_milestones_view(listing: OpenMilestones, t: Translator) -> View:
    """One button per open milestone (due date and title), nearest first."""
    if not listing.items:
        return View(t("Your unit has no open milestones to report on."))
    text = t(
        "<b>Progress of {unit} for {month}</b>\n"
        "Pick a milestone, then type what your unit has done.",
        unit=esc(listing.unit_name),
        month=month_text(t, listing.month),
    )
    picks = [
        button(
            f"{date_text(t, item.due_date, short=True)} {item.title}",
            ProgressPick(milestone_id=item.milestone_id),
        )
        for item in listing.items
    ]
    return View(text, column(picks))


def ask_text_view(item: Deadline, t: Translator) -> View:
    return View(
        t(
            "Progress on \u201c{title}\u201d (due {date}). "
            "Type what your unit has done this month.",
            title=esc(item.title),
            date=date_text(t, item.due_date),
        )
    )


def ask_done_view(milestone_id: int, title: str, t: Translator) -> View:
    """Done for the unit, or not yet: the answer names the milestone by id only."""
    return View(
        t("Is \u201c{title}\u201d done for your unit?", title=esc(title)),
        (
            (
                Button(t("\u2705 Mark done"), ProgressDone(milestone_id=milestone_id, done=True)),
                Button(t("Not yet"), ProgressDone(milestone_id=milestone_id, done=False)),
            ),
        ),
    )


def saved_view(saved: ProgressSaved, t: Translator) -> View:
    lines = [
        t(
            "\u2705 Progress saved for {month}: \u201c{title}\u201d \u2014 {state}.",
            month=month_text(t, saved.month),
            title=esc(saved.milestone.title),
            state=t("done") if saved.done else t("not done yet"),
        ),
        esc(saved.text),
    ]
    if saved.replaced:
        lines.append(
            t(
                "This replaces your unit's earlier report for {month}.",
                month=month_text(t, saved.month),
            )
        )
    return View("\n".join(lines))
