"""Reminders as the recipient reads them: the rules say who owes what, these say it.

Also /reminders, the list of what a person will be reminded of and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain.periods import Month, Quarter
from domain.reminders import (
    DROPOUT_OVERDUE,
    HOUSEHOLD_VISIT,
    LEDGER_DEADLINE,
    MILESTONE,
    MONTHLY_NOTICE,
    PROGRESS_REQUEST,
    VILLAGE_VISIT,
    QuietHours,
)
from services.reports.notice import MonthlyNotice
from services.reports.reminder_overview import ReminderLine
from storage.dropouts import CaseRow
from ui.actions import CaseOpen, LedgerOpen, NoticeFiles, PickVillage, StatusVisit
from ui.i18n import N_, Translator
from ui.render import chunks, date_text, esc, list_text, month_text, quarter_text
from ui.view import Button, View, button, column
from ui.views.dropouts import STATE_NAMES
from ui.views.notice import render_notice

NAMES_LISTED = 10
BUTTONS = 5

# (household id, code, head's name), as the rules list what is owed.
HouseholdLine = tuple[int, str, str]


# ---- buttons (the same ones /mystatus offers) ------------------------------------------


def visited_today_button(household_id: int, code: str, head: str, t: Translator) -> Button:
    return button(
        t("\u2705 Visited {code} {head} today", code=code, head=head),
        StatusVisit(household_id=household_id),
    )


def village_visit_button(village_id: int, name: str, t: Translator) -> Button:
    return button(
        t("\U0001f3d8 Log the village visit: {village}", village=name),
        PickVillage(village_id=village_id),
    )


def ledger_button(household_id: int, code: str, head: str, t: Translator) -> Button:
    return button(
        t("\U0001f4d2 Ledger {code} {head}", code=code, head=head),
        LedgerOpen(household_id=household_id),
    )


def _listed(households: Sequence[HouseholdLine], t: Translator) -> str:
    """The first names, then how many more."""
    listed = esc(list_text(t, (f"{code} {head}" for _, code, head in households[:NAMES_LISTED])))
    if len(households) > NAMES_LISTED:
        listed += t(" and {count} more", count=len(households) - NAMES_LISTED)
    return listed


# ---- one view per rule ------------------------------------------------------------------


def village_visit_reminder(
    unit: str, villages: Sequence[tuple[int, str]], month: Month, t: Translator
) -> View:
    """The unit's paired villages not visited yet this month, a button for each."""
    text = t(
        "\u23f0 {unit} has not yet visited {villages} this month ({month}). "
        "Any cadre of the unit can log the visit.",
        unit=esc(unit),
        villages=esc(list_text(t, (name for _, name in villages))),
        month=month_text(t, month),
    )
    return View(text, column([village_visit_button(v, name, t) for v, name in villages]))


def household_visit_reminder(
    households: Sequence[HouseholdLine], quarter: Quarter, t: Translator
) -> View:
    named = {
        "quarter": quarter_text(t, quarter),
        "end": date_text(t, quarter.last_day),
        "households": _listed(households, t),
    }
    text = t.plural(
        "\u23f0 {count} of your households has no visit yet in {quarter}, which ends on "
        "{end}: {households}. Tap it below after a visit today, or use /visit.",
        "\u23f0 {count} of your households have no visit yet in {quarter}, which ends on "
        "{end}: {households}. Tap one below after a visit today, or use /visit.",
        len(households),
        **named,
    )
    buttons = [visited_today_button(*h, t) for h in households[:BUTTONS]]
    return View(text, column(buttons))


def ledger_deadline_reminder(
    households: Sequence[HouseholdLine], deadline: date, t: Translator
) -> View:
    named = {"deadline": date_text(t, deadline), "households": _listed(households, t)}
    text = t.plural(
        "\u23f0 Ledgers are due by {deadline}; {count} of yours is not complete yet: {households}.",
        "\u23f0 Ledgers are due by {deadline}; {count} of yours are not complete yet: "
        "{households}.",
        len(households),
        **named,
    )
    return View(text, column([ledger_button(*h, t) for h in households[:BUTTONS]]))


def milestone_reminder(title: str, due: date, days_left: int, t: Translator) -> View:
    """Before the due date: how many days are left; after it: overdue."""
    when = date_text(t, due)
    if days_left > 0:
        return View(
            t.plural(
                "\u23f0 Milestone due on {date} (in {count} day): {title}. "
                "Report progress with /progress.",
                "\u23f0 Milestone due on {date} (in {count} days): {title}. "
                "Report progress with /progress.",
                days_left,
                date=when,
                title=esc(title),
            )
        )
    return View(
        t(
            "\u26a0\ufe0f Milestone overdue since {date}: {title}. "
            "Report it done or say how far it is with /progress.",
            date=when,
            title=esc(title),
        )
    )


def progress_request_reminder(month: Month, open_milestones: int, t: Translator) -> View:
    named = month_text(t, month)
    return View(
        t.plural(
            "\u23f0 Today is the last working day of {month}: please report your unit's "
            "progress on its {count} open milestone with /progress.",
            "\u23f0 Today is the last working day of {month}: please report your unit's "
            "progress on its {count} open milestones with /progress.",
            open_milestones,
            month=named,
        )
    )


def monthly_notice_reminder(notice: MonthlyNotice, t: Translator) -> View:
    """The notice's first message; the workbook and chart follow on a tap."""
    text = next(iter(chunks(render_notice(notice, t))))
    files = button(t("\U0001f4ca Workbook and chart"), NoticeFiles(month=str(notice.month)))
    return View(text, ((files,),))


def dropout_overdue_reminder(case: CaseRow, days: int, t: Translator) -> View:
    text = t.plural(
        "\u26a0\ufe0f Dropout case overdue by {count} day: {child} "
        "({household} {head}, {village}), {state}. Reported by {reporter}.",
        "\u26a0\ufe0f Dropout case overdue by {count} days: {child} "
        "({household} {head}, {village}), {state}. Reported by {reporter}.",
        days,
        child=esc(case.child_name),
        household=esc(case.household_code),
        head=esc(case.head_name),
        village=esc(case.village_name),
        state=t(STATE_NAMES.get(case.state, case.state)),
        reporter=esc(case.reporter_name),
    )
    return View(text, ((button(t("\U0001f4cb Open the case"), CaseOpen(case_id=case.id)),),))


# ---- /reminders ---------------------------------------------------------------------------

WHAT = {
    VILLAGE_VISIT: N_("Your unit's monthly village visit, if not yet logged"),
    HOUSEHOLD_VISIT: N_("Households not yet visited this quarter"),
    LEDGER_DEADLINE: N_("Ledgers not complete before the November deadline"),
    MILESTONE: N_("Your unit's milestones not done yet, near their due dates"),
    PROGRESS_REQUEST: N_("Monthly progress report of your unit (last working day)"),
    MONTHLY_NOTICE: N_("The monthly notice of the month just ended"),
    DROPOUT_OVERDUE: "",  # a plural, in _what
}
OWED = {
    VILLAGE_VISIT: N_("villages not yet visited this month: {count}"),
    HOUSEHOLD_VISIT: N_("not yet visited now: {count}"),
    LEDGER_DEADLINE: N_("incomplete now: {count}"),
}


def _when(line: ReminderLine, t: Translator) -> str:
    """Next fire days; for milestones the days around each due date; dropouts the hour."""
    at = f"{line.hour:02d}:{line.minute:02d}"
    if line.next_days:
        days = list_text(t, (date_text(t, day) for day in line.next_days))
        return t("next: {days} at {time}", days=days, time=at)
    if line.rule == DROPOUT_OVERDUE:
        return t("at {time}", time=at)
    if line.rule == MILESTONE:
        return t(
            "days before the due date: {before}; days after: {after}; at {time}",
            before=list_text(t, (d for d in line.days_left if d > 0)) or "-",
            after=list_text(t, (-d for d in line.days_left if d < 0)) or "-",
            time=at,
        )
    return ""


def _what(line: ReminderLine, t: Translator) -> str:
    if line.rule == DROPOUT_OVERDUE:
        return t.plural(
            "Dropout cases past a due time: the school every morning, supervisors when "
            "{count} day late",
            "Dropout cases past a due time: the school every morning, supervisors when "
            "{count} days late",
            line.escalate_after_days,
        )
    return t(WHAT[line.rule])


def _line(line: ReminderLine, t: Translator) -> str:
    parts = ["\u2022 " + _what(line, t)]
    when = _when(line, t)
    if when:
        parts.append("  " + when)
    if line.owed_now is not None and line.rule in OWED:
        parts.append("  " + t(OWED[line.rule], count=line.owed_now))
    return "\n".join(parts)


def my_reminders(lines: Sequence[ReminderLine], quiet: QuietHours | None, t: Translator) -> View:
    """What the person will be reminded of, when, and what they owe now."""
    if not lines:
        return View(t("No reminders are set up for you."))
    parts = [t("<b>My reminders</b> (sent only while something is still owed)")]
    parts += [_line(line, t) for line in lines]
    if quiet is not None:
        hours = f"{quiet.start:%H:%M}-{quiet.end:%H:%M}"
        parts.append(t("Quiet hours {hours}: reminders wait until they end.", hours=hours))
    return View("\n".join(parts))
