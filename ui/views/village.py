"""The unit's village visit on screen: which village, when, the confirm card, what was logged."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from services.village_visits import VillageMonthStatus, VillageVisitOutcome
from ui.actions import PickVillage, VillageDate, VillageStep
from ui.i18n import N_, Translator
from ui.render import date_text, esc, month_text
from ui.view import Button, View, button, column
from ui.views.field_visit import (
    Draft,
    OutcomeTexts,
    answer_line,
    confirm_rows,
    date_picker,
    location_button,
    location_line,
    mark,
    outcome_text,
    photo_button,
    photos_line,
)

ASK_WHO = N_("Who went? Type their names.")
ASK_DISCUSSED = N_("What was discussed? Type a short note.")
DISCUSSED_LINE = N_("Discussed: {note}")
LOG_VILLAGE_VISIT = N_("\u2705 Log village visit")


def village_picker(villages: Sequence[VillageMonthStatus], t: Translator) -> View:
    """The unit's villages, ○ for not yet visited this month."""
    picks = [
        button(f"{mark(v.covered)} {v.village_name}", PickVillage(village_id=v.village_id))
        for v in villages
    ]
    return View(t("Which village did your unit visit?"), column(picks))


def village_when(village: VillageMonthStatus, today: date, t: Translator) -> View:
    """The village is chosen: today, yesterday or another date (says so if already covered)."""
    if village.covered:
        text = t(
            "Your unit already visited {village} this month. Log another visit? When was it?",
            village=esc(village.village_name),
        )
    else:
        text = t("Your unit's visit to {village}: when was it?", village=esc(village.village_name))
    return date_picker(text, today, lambda days_ago: VillageDate(village.village_id, days_ago), t)


def village_confirm(draft: Draft, t: Translator) -> View:
    """The visit as it will be logged; who went, what was discussed, location, photos optional."""

    def _step(action: str) -> VillageStep:
        return VillageStep(action, draft["draft"])

    lines = [
        t("Log your unit's village visit?"),
        t("Village: {village}", village=esc(str(draft["village"]))),
        t("Date: {date}", date=date_text(t, draft["date"])),
        *answer_line(N_("Who went: {names}"), "names", draft.get("participants"), t),
        *answer_line(DISCUSSED_LINE, "note", draft.get("discussed"), t),
        *location_line(draft, t),
        photos_line(draft, t),
    ]
    more = (
        (
            Button(t("\U0001f465 Who went"), _step("who")),
            Button(t("\U0001f4ac Discussed"), _step("talk")),
        ),
        (location_button(_step, t), photo_button(_step, t)),
    )
    return View("\n".join(lines), confirm_rows(_step, more, t, LOG_VILLAGE_VISIT))


VILLAGE_OUTCOME = OutcomeTexts(
    logged=N_(
        "\u2705 Village visit logged: {village} on {date}. {month} is covered for your unit."
    ),
    photos_added=N_(
        "Your unit's visit to {village} on {date} was already logged. Only the new photos "
        "were added to it."
    ),
    unchanged=N_("Your unit's visit to {village} on {date} was already logged. Nothing changed."),
    how_far=N_("Location recorded, about {meters} m from the village."),
)


def village_outcome(outcome: VillageVisitOutcome, t: Translator) -> str:
    """What the report did to the unit's visit that day, and the evidence kept."""
    return outcome_text(
        outcome.record,
        VILLAGE_OUTCOME,
        t,
        answer_line(DISCUSSED_LINE, "note", outcome.discussed, t),
        village=esc(outcome.village_name),
        date=date_text(t, outcome.visit_date),
        month=month_text(t, outcome.month),
    )
