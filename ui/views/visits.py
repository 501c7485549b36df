"""A household visit on screen: when was it, the confirm card, and what was logged."""

from __future__ import annotations

from datetime import date

from services.visits import VisitOutcome
from storage.households import HouseholdHolder
from ui.actions import PickDate, VisitStep
from ui.i18n import N_, Translator
from ui.render import date_text, esc, quarter_text
from ui.view import Button, View
from ui.views.field_visit import (
    Draft,
    OutcomeTexts,
    answer_line,
    confirm_rows,
    date_picker,
    location_button,
    location_line,
    outcome_text,
    photo_button,
    photos_line,
)

ASK_NOTE = N_("Type a short note about the visit.")
NOTE_LINE = N_("Note: {note}")


def visit_when(household: HouseholdHolder, draft: int, today: date, t: Translator) -> View:
    """The household is chosen: today, yesterday or another date, for draft `draft`."""
    text = t(
        "Visit to {code} {head}. When was it?",
        code=esc(household.code),
        head=esc(household.head_name),
    )
    return date_picker(text, today, lambda days_ago: PickDate(draft, days_ago), t)


def visit_confirm(draft: Draft, t: Translator) -> View:
    """The visit as it will be logged, with buttons to add a location, a note or photos."""

    def _step(action: str) -> VisitStep:
        return VisitStep(action, draft["draft"])

    lines = [
        t("Log this visit?"),
        t("Household: {code} {head}", code=esc(draft["code"]), head=esc(draft["head"])),
        t("Date: {date}", date=date_text(t, draft["date"])),
        *location_line(draft, t),
        *answer_line(NOTE_LINE, "note", draft.get("note"), t),
        photos_line(draft, t),
    ]
    more = (
        location_button(_step, t),
        Button(t("\U0001f4dd Note"), _step("note")),
        photo_button(_step, t),
    )
    return View("\n".join(lines), confirm_rows(_step, (more,), t))


VISIT_OUTCOME = OutcomeTexts(
    logged=N_(
        "\u2705 Visit logged: {code} {head} on {date}. {quarter} is covered for this household."
    ),
    photos_added=N_(
        "This visit was already logged: {code} {head} on {date}. Only the new photos "
        "were added to it."
    ),
    unchanged=N_("This visit was already logged: {code} {head} on {date}. Nothing changed."),
    how_far=N_("Location recorded, about {meters} m from the household."),
)


def visit_outcome(outcome: VisitOutcome, t: Translator) -> str:
    """What the report did to the household's visit that day, and the evidence kept."""
    echo = answer_line(NOTE_LINE, "note", outcome.note, t)
    return outcome_text(outcome.record, VISIT_OUTCOME, t, echo, **visit_names(outcome, t))


def visit_names(outcome: VisitOutcome, t: Translator) -> dict[str, str]:
    """The names the outcome texts fill in, escaped."""
    return {
        "code": esc(outcome.household_code),
        "head": esc(outcome.head_name),
        "date": date_text(t, outcome.visit_date),
        "quarter": quarter_text(t, outcome.quarter),
    }
