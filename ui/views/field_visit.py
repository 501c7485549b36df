"""What both kinds of visit show: the date to pick, the draft's evidence, the confirm buttons."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from services.evidence import Recorded
from ui.actions import Action
from ui.i18n import N_, Translator
from ui.render import date_text, esc
from ui.view import Button, Row, View

DONE, OWED = "\u2713", "\u25cb"
# Typed answers shown on a confirm card are cut to this many characters.
ANSWER_SHOWN = 300

Draft = Mapping[str, Any]

ASK_DATE = N_("Type the date of the visit as YYYY-MM-DD, for example {example}.")
ASK_LOCATION = N_("Send your location, or skip.")
ASK_PHOTOS = N_("Send one or more photos now; they are attached when you log the visit.")


def mark(done: bool) -> str:
    """✓ for covered, ○ for still owed."""
    return DONE if done else OWED


def ask_date(today: date, t: Translator) -> View:
    """The prompt for a typed visit date, with today's date (the plan's zone) as the example."""
    return View(t(ASK_DATE, example=today.isoformat()))


def date_picker(text: str, today: date, pick: Callable[[int], Action], t: Translator) -> View:
    """Today, yesterday (each with its date) or another date; `pick(days_ago)`, -1 asks for a
    typed date."""
    yesterday = today - timedelta(days=1)
    return View(
        text,
        (
            (Button(t("Today ({date})", date=date_text(t, today, short=True)), pick(0)),),
            (
                Button(t("Yesterday ({date})", date=date_text(t, yesterday, short=True)), pick(1)),
                Button(t("Another date"), pick(-1)),
            ),
        ),
    )


def answer_line(template: str, name: str, value: object, t: Translator) -> list[str]:
    """A typed answer on the confirm card (`template` has {name}), or nothing when unset."""
    return [t(template, **{name: esc(str(value)[:ANSWER_SHOWN])})] if value else []


def location_line(draft: Draft, t: Translator) -> list[str]:
    return [t("Location: attached")] if draft.get("lat") is not None else []


def photos_line(draft: Draft, t: Translator) -> str:
    """How many photos wait for the visit, or the reminder that photos are welcome."""
    if draft.get("photos"):
        return t("Photos: {count}", count=len(draft["photos"]))
    return t("(Optional: send photos now to attach them.)")


LOG_VISIT = N_("\u2705 Log visit")


def confirm_rows(
    step: Callable[[str], Action], middle: tuple[Row, ...], t: Translator, log: str = LOG_VISIT
) -> tuple[Row, ...]:
    """Log first (`log` names what is logged), the optional additions in between, cancel
    last."""
    return (
        (Button(t(log), step("ok")),),
        *middle,
        (Button(t("\u2716 Cancel"), step("cancel")),),
    )


def location_button(step: Callable[[str], Action], t: Translator) -> Button:
    return Button(t("\U0001f4cd Location"), step("loc"))


def photo_button(step: Callable[[str], Action], t: Translator) -> Button:
    return Button(t("\U0001f4f7 Photo"), step("photo"))


@dataclass(frozen=True)
class OutcomeTexts:
    """How one kind of visit words what a report did (catalogue ids)."""

    logged: str
    photos_added: str
    unchanged: str
    how_far: str  # has {meters}


def outcome_text(
    record: Recorded,
    texts: OutcomeTexts,
    t: Translator,
    echo: Sequence[str] = (),
    **names: str,
) -> str:
    """Logged (with `echo`, the typed answers saved with it), or logged before (only new
    photos added, or nothing changed); then the evidence."""
    if record.created:
        template = texts.logged
    elif record.new_photos:
        template = texts.photos_added
    else:
        template = texts.unchanged
    saved = list(echo) if record.created else []
    return "\n".join([t(template, **names), *saved, *evidence_lines(record, texts.how_far, t)])


def evidence_lines(record: Recorded, how_far: str, t: Translator) -> list[str]:
    """What the cadre is told about the optional evidence; `how_far` has {meters}."""
    lines = []
    if record.located:
        if record.distance_m is None:
            lines.append(t("Location recorded."))
        else:
            lines.append(t(how_far, meters=round(record.distance_m)))
    if record.new_photos:
        lines.append(t("Photos attached: {count}.", count=len(record.new_photos)))
    return lines
