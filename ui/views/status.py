"""/mystatus on screen: what I still owe, one message, one button per item to settle."""

from __future__ import annotations

from domain.deadlines import Deadline
from domain.status import (
    MAX_HOUSEHOLDS_SHOWN,
    MAX_LEDGERS_SHOWN,
    MAX_MILESTONES_SHOWN,
    MILESTONE_WINDOW,
    MyStatus,
)
from ui.i18n import N_, Translator
from ui.render import MESSAGE_LIMIT, bracket_text, date_text, esc, month_text, quarter_text
from ui.view import Button, View, column
from ui.views.deadlines import in_days_text, overdue_text
from ui.views.field_visit import OWED, mark
from ui.views.ledger import missing_text
from ui.views.reminders import ledger_button, village_visit_button, visited_today_button

MAX_LEDGER_BUTTONS = 5


def status_view(status: MyStatus, t: Translator) -> View:
    """Every section with something owed, and a button for each owed item."""
    return View(_fit(_status_lines(status, t)), _buttons(status, t))


def _status_lines(status: MyStatus, t: Translator) -> list[str]:
    lines = [t("<b>What I still owe</b> \u2014 {date}", date=date_text(t, status.today))]
    lines += _household_lines(status, t)
    lines += _village_lines(status, t)
    lines += _ledger_lines(status, t)
    lines += _milestone_lines(status, t)
    if status.owes_nothing:
        lines += ["", t("Nothing owed today. Well done!")]
    return lines


def _household_lines(status: MyStatus, t: Translator) -> list[str]:
    if not status.households_total:
        return []
    lines = [
        "",
        t(
            "<b>Households not visited in {quarter}</b>: {owed} of {total}",
            quarter=quarter_text(t, status.quarter),
            owed=len(status.households),
            total=status.households_total,
        ),
    ]
    if not status.households:
        lines.append("\u2713 " + t("Every household of yours is visited this quarter."))
    for household in status.households[:MAX_HOUSEHOLDS_SHOWN]:
        last = (
            t("last visit: {date}", date=date_text(t, household.last_visit))
            if household.last_visit
            else t("never visited")
        )
        lines.append(
            f"{OWED} <code>{esc(household.code)}</code> {esc(household.head_name)}"
            f"{bracket_text(t, esc(household.village_name))} \u2014 {last}"
        )
    lines += _more(
        len(status.households) - MAX_HOUSEHOLDS_SHOWN, N_("\u2026 and {count} more: /visit"), t
    )
    return lines


def _village_lines(status: MyStatus, t: Translator) -> list[str]:
    if not status.villages:
        return []
    lines = ["", t("<b>Village visit {month}</b>", month=month_text(t, status.month))]
    for village in status.villages:
        state = t("covered") if village.covered else t("not visited yet this month")
        name, code = esc(village.village_name), esc(village.village_code)
        lines.append(f"{mark(village.covered)} {name}{bracket_text(t, code)} \u2014 {state}")
    return lines


def _ledger_lines(status: MyStatus, t: Translator) -> list[str]:
    season = status.ledger_season
    if season is None or not status.ledgers:
        return []
    days = season.days_left(status.today)
    if days > 0:
        when = t.plural("{count} day left", "{count} days left", days)
    else:
        when = t("due today") if days == 0 else overdue_text(-days, t)
    lines = [
        "",
        t(
            "<b>Ledgers {year} to complete by {deadline}</b> ({when})",
            year=season.year,
            deadline=date_text(t, season.deadline),
            when=when,
        ),
    ]
    for ledger in status.ledgers[:MAX_LEDGERS_SHOWN]:
        lines.append(
            f"{OWED} <code>{esc(ledger.code)}</code> {esc(ledger.head_name)} \u2014 "
            + t("missing: {fields}", fields=missing_text(ledger.missing, t))
        )
    lines += _more(
        len(status.ledgers) - MAX_LEDGERS_SHOWN, N_("\u2026 and {count} more: /ledger"), t
    )
    return lines


def _more(hidden: int, template: str, t: Translator) -> list[str]:
    """`… and N more: /command` under a list cut short."""
    return [t(template, count=hidden)] if hidden > 0 else []


def _milestone_lines(status: MyStatus, t: Translator) -> list[str]:
    if not status.milestones:
        return []
    lines = [
        "",
        t.plural(
            "<b>My unit's milestones due within {count} day</b>",
            "<b>My unit's milestones due within {count} days</b>",
            MILESTONE_WINDOW.days,
        ),
    ]
    for item in status.milestones[:MAX_MILESTONES_SHOWN]:
        lines.append(
            f"\u2022 {date_text(t, item.due_date)} {esc(item.title)}"
            + bracket_text(t, _when(item, t))
        )
    return lines


def _when(item: Deadline, t: Translator) -> str:
    if item.overdue:
        return overdue_text(-item.days_left, t)
    if item.days_left == 0:
        return t("due today")
    return in_days_text(item.days_left, t)


def _fit(lines: list[str]) -> str:
    """One message, so it can be edited in place: drop trailing lines past the limit."""
    text = "\n".join(lines)
    while len(text) > MESSAGE_LIMIT and len(lines) > 1:
        lines = lines[:-2] + ["\u2026"]
        text = "\n".join(lines)
    return text


def _buttons(status: MyStatus, t: Translator) -> tuple[tuple[Button, ...], ...]:
    visits = [
        visited_today_button(h.household_id, h.code, h.head_name, t)
        for h in status.households[:MAX_HOUSEHOLDS_SHOWN]
    ]
    villages = [
        village_visit_button(v.village_id, v.village_name, t)
        for v in status.villages
        if not v.covered
    ]
    ledgers = [
        ledger_button(ledger.household_id, ledger.code, ledger.head_name, t)
        for ledger in status.ledgers[:MAX_LEDGER_BUTTONS]
    ]
    return column([*visits, *villages, *ledgers])
