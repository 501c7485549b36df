"""A dropout case on screen: its names (reasons, states, steps, events), its text with the
whole history, the next-step buttons, the replies to a report or a step, the list of cases,
and the notifications that tell the reporter and the school, in each reader's language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.dropouts import CLOSED
from services.dropouts import CaseLine, CaseNews, CaseOutcome, CaseView, RenderNews
from storage.dropouts import EventRow
from storage.notifications import Notification
from ui.actions import CaseConfirm, CaseOpen, CaseStep
from ui.i18n import N_, Catalogs, Translator
from ui.render import bracket_text, chunks, clauses_text, date_text, esc
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


def local_time_text(at: datetime, tz: ZoneInfo, t: Translator) -> str:
    """An instant in the plan's zone: "2026年11月30日 04:36" / "2026-11-30 04:36"."""
    local = at.astimezone(tz)
    return f"{date_text(t, local.date())} {local:%H:%M}"


def _event_note(event: EventRow, t: Translator) -> str | None:
    """The event's note as read: a second report stores "REASON YYYY-MM-DD [note]"."""
    if event.kind != "rereport" or not event.note:
        return esc(event.note) if event.note else None
    reason, _, rest = event.note.partition(" ")
    since, _, note = rest.partition(" ")
    if reason not in REASON_NAMES:
        return esc(event.note)
    said = t(
        "Reason: {reason}; out of school since {since}.",
        reason=t(REASON_NAMES[reason]),
        since=date_text(t, since),
    )
    return said + (" " + esc(note) if note else "")


def _history(view: CaseView, tz: ZoneInfo, t: Translator) -> list[str]:
    lines = [t("<b>History</b>")]
    for event in view.events:
        line = t(
            "\u2022 {when} {what} \u2014 {name}",
            when=local_time_text(event.at, tz, t),
            what=t(EVENT_NAMES.get(event.kind, event.kind)),
            name=esc(event.actor_name),
        )
        if event.kind == "persuade" and event.on_date is not None:
            line += bracket_text(t, date_text(t, event.on_date))
        note = _event_note(event, t)
        if note:
            line = t("{event}: {note}", event=line, note=note)
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
    seen = len(view.events)
    steps = [
        Button(t(STEP_BUTTONS[step]), CaseStep(case_id=view.row.id, step=step, seen=seen))
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


def _birth_note(outcome: CaseOutcome, t: Translator) -> str | None:
    """What became of a birth date typed for a child already on the roster."""
    birth, child = outcome.birth, esc(outcome.view.row.child_name)
    if birth is None:
        return None
    if birth.kind == "filled":
        return t(
            "{child}'s birth date {typed} was added to the ledger.",
            child=child,
            typed=date_text(t, birth.typed),
        )
    return t(
        "{child} is on the roster as born {recorded}; that date was kept (you typed {typed}). "
        "Correct it in /ledger if it is wrong.",
        child=child,
        recorded=date_text(t, birth.recorded) if birth.recorded else "?",
        typed=date_text(t, birth.typed),
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
    birth = _birth_note(outcome, t)
    if birth is not None and not outcome.duplicate:
        head += "\n" + birth
    return case_screen(outcome.view, tz, t, head)


def _headline(news: CaseNews, t: Translator) -> str:
    """Who did what, on which child: "🔔 辍学个案 #1（毕杰，H0601007）：适中乡中心校 董美华
    记录了“已返校”，个案已结案。" (the actor's unit says in which role they acted)."""
    row = news.case.row
    who = esc(news.actor_name)
    if news.actor_unit:
        who = t("{unit} {name}", unit=esc(news.actor_unit), name=who)
    about = {"case": row.id, "child": esc(row.child_name), "code": esc(row.household_code)}
    if news.kind == "report":
        return t(
            "\U0001f4e3 New dropout case #{case} ({child}, {code}) reported by {who}: "
            "please acknowledge it.",
            who=who,
            **about,
        )
    if news.kind == "rereport":
        return t(
            "\U0001f4e3 Dropout case #{case} ({child}, {code}) was reported again by {who}.",
            who=who,
            **about,
        )
    events = news.case.events
    note = esc(events[-1].note) if events and events[-1].note else None
    if news.kind == "persuade" and note:
        return t(
            "\U0001f514 Dropout case #{case} ({child}, {code}): {who} recorded a persuasion "
            "attempt: {note}",
            who=who,
            note=note,
            **about,
        )
    step = t(EVENT_NAMES.get(news.kind, news.kind))
    if row.state != CLOSED:
        return t(
            "\U0001f514 Dropout case #{case} ({child}, {code}): {who} recorded \u201c{step}\u201d.",
            who=who,
            step=step,
            **about,
        )
    if note:
        return t(
            "\U0001f514 Dropout case #{case} ({child}, {code}): {who} recorded \u201c{step}\u201d "
            "({note}); the case is closed.",
            who=who,
            step=step,
            note=note,
            **about,
        )
    return t(
        "\U0001f514 Dropout case #{case} ({child}, {code}): {who} recorded \u201c{step}\u201d; "
        "the case is closed.",
        who=who,
        step=step,
        **about,
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
    """ "#1 毕杰（H0601007，大坝村）：已上报，等待学校接收；期限：2026年12月3日"."""
    row = line.row
    status = [state_text(row.state, row.closing, t)]
    if line.overdue_days:
        status.append(t.plural("overdue {count} day", "overdue {count} days", line.overdue_days))
    elif line.due is not None:
        status.append(t("due by {date}", date=date_text(t, line.due)))
    text = t(
        "#{case} {child} ({code}, {village}): {status}",
        case=row.id,
        child=esc(row.child_name),
        code=esc(row.household_code),
        village=esc(row.village_name),
        status=clauses_text(t, status),
    )
    return "\u26a0 " + text if line.overdue_days else text


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


def step_confirm(
    case_id: int, child: str, step: str, note: str | None, draft: int, t: Translator
) -> View:
    """ "Really?" before a step that cannot be undone (the verdict, every closing)."""
    if step == "confirm":
        question = t(
            "Mark dropout case #{case} ({child}) as: {step}?",
            case=case_id,
            child=esc(child),
            step=t(STEP_BUTTONS[step]),
        )
    else:
        question = t(
            "Close dropout case #{case} ({child}) as: {step}?",
            case=case_id,
            child=esc(child),
            step=t(STEP_BUTTONS[step]),
        )
    lines = [question]
    if note:
        lines.append(t("Note: {note}", note=esc(note)))
    lines.append(t("This cannot be undone."))
    buttons = (
        Button(t("\u2705 Confirm"), CaseConfirm(draft=draft, ok=1)),
        Button(t("Cancel"), CaseConfirm(draft=draft, ok=0)),
    )
    return View("\n".join(lines), (buttons,))


def step_cancelled(case_id: int, t: Translator) -> View:
    return View(t("Cancelled; case #{case} was not changed.", case=case_id))
