"""A dropout case on screen: its names (reasons, states, steps, events), its text with the
whole history, the next-step buttons, the replies to a report or a step, the list of cases,
and the notifications that tell the reporter and the school, in each reader's language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from domain.dropouts import CLOSED
from services.dropouts import CaseLine, CaseNews, CaseOutcome, CaseView, RenderNews
from storage.notifications import Notification
from ui.actions import CaseOpen, CaseStep
from ui.i18n import N_, Catalogs, Translator
from ui.render import bracket_text, chunks, date_text, esc
from ui.view import Button, Row, View, button

CASES_SHOWN = 30

REASON_NAMES = {
    "poverty": N_("poverty"),
    "learning": N_("learning difficulty"),
    "work": N_("work"),
    "marriage": N_("marriage"),
    "illness": N_("illness or disability"),
    "family": N_("family"),
    "distance": N_("distance"),
    "other": N_("other"),
}
STATE_NAMES = {
    "reported": N_("reported, waiting for the school to acknowledge"),
    "acknowledged": N_("acknowledged, to be verified"),
    "confirmed": N_("confirmed dropout, persuasion under way"),
}
CLOSING_NAMES = {
    "not_a_dropout": N_("closed: not a dropout"),
    "returned": N_("closed: returned to school"),
    "transferred": N_("closed: transferred"),
    "exempted": N_("closed: exempted"),
    "still_out": N_("closed: still out of school"),
}
STEP_BUTTONS = {
    "acknowledge": N_("\u2714 Acknowledge"),
    "not_a_dropout": N_("Not a dropout"),
    "confirm": N_("Confirmed dropout"),
    "persuade": N_("Persuasion attempt"),
    "returned": N_("Returned to school"),
    "transferred": N_("Transferred"),
    "exempted": N_("Exempted"),
    "still_out": N_("Still out of school"),
}
EVENT_NAMES = {
    "report": N_("reported"),
    "rereport": N_("reported again"),
    "acknowledge": N_("acknowledged"),
    "not_a_dropout": N_("verified: not a dropout"),
    "confirm": N_("verified: confirmed dropout"),
    "persuade": N_("persuasion attempt"),
    "returned": N_("returned to school"),
    "transferred": N_("transferred"),
    "exempted": N_("exempted"),
    "still_out": N_("still out of school"),
}
STEP_PROMPTS = {
    "persuade": N_(
        "Case #{case}: type the outcome of the persuasion attempt (who went, what was said), "
        "optionally starting with its date as YYYY-MM-DD, for example {example}; without a date "
        "it counts as today."
    ),
    "transferred": N_("Case #{case}: type the name of the school the child transferred to."),
    "exempted": N_("Case #{case}: type the reason for the exemption, for example illness."),
    "still_out": N_("Case #{case}: type why the child is still out of school."),
}


def in_rows(buttons: Sequence[Button], width: int) -> tuple[Row, ...]:
    """`width` buttons a row."""
    return tuple(tuple(buttons[i : i + width]) for i in range(0, len(buttons), width))


def state_text(state: str, closing: str | None, t: Translator) -> str:
    if state == CLOSED and closing in CLOSING_NAMES:
        return t(CLOSING_NAMES[closing])
    return t(STATE_NAMES.get(state, state))


def _due_line(view: CaseView, t: Translator) -> list[str]:
    if view.due is None:
        return []
    due = date_text(t, view.due)
    if view.overdue_days:
        return [
            t.plural(
                "\u26a0 Overdue: due {date}, {count} day late.",
                "\u26a0 Overdue: due {date}, {count} days late.",
                view.overdue_days,
                date=due,
            )
        ]
    return [t("Next step due by {date}.", date=due)]


def _history(view: CaseView, tz: ZoneInfo, t: Translator) -> list[str]:
    lines = [t("<b>History</b>")]
    for event in view.events:
        when = event.at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        what = t(EVENT_NAMES.get(event.kind, event.kind))
        line = f"\u2022 {when} {what} \u2014 {esc(event.actor_name)}"
        if event.kind == "persuade" and event.on_date is not None:
            line += bracket_text(t, date_text(t, event.on_date))
        if event.note:
            line += f": {esc(event.note)}"
        lines.append(line)
    return lines


def case_text(view: CaseView, tz: ZoneInfo, t: Translator) -> str:
    """A case with its whole history, in the reader's language (times in the plan's zone)."""
    row = view.row
    lines = [
        t(
            "\U0001f4c1 <b>Case #{case}</b>: {child} ({code} {head}, {village})",
            case=row.id,
            child=esc(row.child_name),
            code=esc(row.household_code),
            head=esc(row.head_name),
            village=esc(row.village_name),
        ),
        t(
            "Reason: {reason}; out of school since {since}.",
            reason=t(REASON_NAMES.get(row.reason, row.reason)),
            since=date_text(t, row.since),
        ),
        t(
            "School: {school}. Reported by {reporter}.",
            school=esc(row.school_name) if row.school_name else t("no central school on roster"),
            reporter=esc(row.reporter_name),
        ),
        t("State: <b>{state}</b>", state=state_text(row.state, row.closing, t)),
    ]
    return "\n".join(lines + _due_line(view, t) + _history(view, tz, t))


def case_screen(view: CaseView, tz: ZoneInfo, t: Translator, head: str | None = None) -> View:
    """The case (after an optional first paragraph) with the steps this reader may take."""
    steps = [
        Button(t(STEP_BUTTONS[step]), CaseStep(case_id=view.row.id, step=step))
        for step in view.steps
    ]
    text = case_text(view, tz, t)
    return View(text if head is None else head + "\n\n" + text, in_rows(steps, 2))


def _recorded_before(t: Translator) -> str:
    return t("This was already recorded; nothing was added.")


def step_reply(outcome: CaseOutcome, tz: ZoneInfo, t: Translator) -> View:
    """What the person who took a step sees."""
    head = _recorded_before(t) if outcome.duplicate else t("\u2705 Saved.")
    return case_screen(outcome.view, tz, t, head)


def _opened(outcome: CaseOutcome, t: Translator) -> str:
    row = outcome.view.row
    if row.school_name:
        return t(
            "\u2705 Case #{case} opened for {child} ({code}); {school} has been told.",
            case=row.id,
            child=esc(row.child_name),
            code=esc(row.household_code),
            school=esc(row.school_name),
        )
    return t(
        "\u2705 Case #{case} opened for {child} ({code}). No central school is on the "
        "roster for this township: supervisors will follow it.",
        case=row.id,
        child=esc(row.child_name),
        code=esc(row.household_code),
    )


def report_reply(outcome: CaseOutcome, tz: ZoneInfo, t: Translator) -> View:
    """What the reporter sees: a new case, a report added to an open one, or a repeat."""
    if outcome.duplicate:
        head = _recorded_before(t)
    elif outcome.new_case:
        head = _opened(outcome, t)
    else:
        head = t(
            "\u2139 {child} already has an open case #{case}; your report was added to it.",
            child=esc(outcome.view.row.child_name),
            case=outcome.view.row.id,
        )
    return case_screen(outcome.view, tz, t, head)


def _headline(news: CaseNews, t: Translator) -> str:
    case, name = news.case.row.id, esc(news.actor_name)
    if news.kind == "report":
        return t(
            "\U0001f4e3 New dropout case #{case} reported by {name}: please acknowledge it.",
            case=case,
            name=name,
        )
    if news.kind == "rereport":
        return t("\U0001f4e3 Case #{case} was reported again by {name}.", case=case, name=name)
    return t(
        "\U0001f514 Case #{case}: {step} by {name}.",
        case=case,
        step=t(EVENT_NAMES.get(news.kind, news.kind)),
        name=name,
    )


def as_notifications(view: View) -> list[Notification]:
    """A view as outbox messages: the text split to Telegram's limit, buttons on the last."""
    parts = list(chunks(view.text))
    rows = tuple(tuple((b.label, b.action.pack()) for b in row) for row in view.rows)
    return [
        Notification(part, rows if index == len(parts) - 1 else ())
        for index, part in enumerate(parts)
    ]


def case_notices(catalogs: Catalogs, tz: ZoneInfo) -> RenderNews:
    """How services.dropouts words a change for each person it tells, in their language."""

    def render(news: CaseNews, locale: str | None) -> list[Notification]:
        t = catalogs.translator(locale)
        return as_notifications(case_screen(news.case, tz, t, _headline(news, t)))

    return render


def _case_line(line: CaseLine, t: Translator) -> str:
    row = line.row
    place = f"{esc(row.household_code)}, {esc(row.village_name)}"
    text = f"#{row.id} {esc(row.child_name)} ({place}): {state_text(row.state, row.closing, t)}"
    if line.overdue_days:
        overdue = t.plural("overdue {count} day", "overdue {count} days", line.overdue_days)
        return "\u26a0 " + text + " " + overdue
    if line.due is not None:
        return text + " " + t("due {date}", date=date_text(t, line.due))
    return text


def cases_screen(lines: Sequence[CaseLine], t: Translator) -> View:
    """/cases: the open cases that concern me, overdue first, a button to open each."""
    if not lines:
        return View(t("No open dropout cases that concern you."))
    shown = lines[:CASES_SHOWN]
    text = "\n".join(
        [t("<b>Open dropout cases</b> ({count}), overdue first:", count=len(lines))]
        + [_case_line(line, t) for line in shown]
    )
    buttons = [
        button(f"#{line.row.id} {line.row.child_name}", CaseOpen(case_id=line.row.id))
        for line in shown
    ]
    return View(text, in_rows(buttons, 3))


def step_prompt(case_id: int, step: str, today: date, t: Translator) -> View:
    """The question before a step that needs a typed answer (a date example: today's)."""
    return View(t(STEP_PROMPTS[step], case=case_id, example=today.isoformat()))
