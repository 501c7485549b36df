"""/dropout on screen: the household, child, reason and date pickers, prompts, the confirmation."""

from __future__ import annotations

from datetime import date

from domain.dropouts import REASONS
from services.dropouts import HouseholdChildren
from ui.actions import (
    DropoutChild,
    DropoutConfirm,
    DropoutFromLedger,
    DropoutHousehold,
    DropoutNewChild,
    DropoutPage,
    DropoutReason,
    DropoutSince,
    DropoutSkip,
)
from ui.i18n import Translator
from ui.render import BIRTH_DATE_EXAMPLE, date_text, esc
from ui.view import Button, View, button, paged
from ui.views.dropouts import REASON_NAMES, in_rows


def households_picker(items: list[tuple[int, str, str]], page: int, t: Translator) -> View:
    """My households (id, code, head), a page at a time."""
    if not items:
        return View(t("You have no paired households on the roster."))
    buttons = [
        button(f"{code} {head}", DropoutHousehold(household_id=household_id))
        for household_id, code, head in items
    ]
    return View(
        t("Report a child out of school. Which household?"),
        paged(buttons, page, lambda n: DropoutPage(page=n)),
    )


def children_picker(household: HouseholdChildren, t: Translator) -> View:
    """The members who may be school children (the service picks them), two a row, then
    "add a child"."""
    buttons = [
        button(
            t("{name} (born {year})", name=child.name, year=child.birth_date.year)
            if child.birth_date
            else child.name,
            DropoutChild(member_id=child.id),
        )
        for child in household.children
    ]
    buttons.append(
        Button(t("\u2795 Add a child"), DropoutNewChild(household_id=household.household_id))
    )
    text = t(
        "{code} {head}: which child is out of school?",
        code=esc(household.code),
        head=esc(household.head_name),
    )
    return View(text, in_rows(buttons, 2))


def name_prompt(code: str, t: Translator) -> View:
    return View(t("{code}: type the child's name.", code=esc(code)))


def birth_prompt(child: str, draft: int, t: Translator) -> View:
    return View(
        t(
            "{child}: type the birth date as YYYY-MM-DD, for example {example}, or skip.",
            child=esc(child),
            example=BIRTH_DATE_EXAMPLE,
        ),
        ((Button(t("Skip"), DropoutSkip(draft, "birth")),),),
    )


def reason_picker(code: str, child: str, draft: int, t: Translator) -> View:
    buttons = [Button(t(REASON_NAMES[r]), DropoutReason(draft, r)) for r in REASONS]
    text = t("{code}: {child}. Why is the child out of school?", code=esc(code), child=esc(child))
    return View(text, in_rows(buttons, 2))


def since_picker(today: date, draft: int, t: Translator) -> View:
    return View(
        t("Since when has the child been out of school?"),
        (
            (
                Button(
                    t("Today ({date})", date=date_text(t, today, short=True)),
                    DropoutSince(draft, 0),
                ),
                Button(t("Another date"), DropoutSince(draft, 1)),
            ),
        ),
    )


def date_prompt(today: date, t: Translator) -> View:
    """A typed date, with today's date (the plan's zone) as the example."""
    return View(t("Type the date as YYYY-MM-DD, for example {example}.", example=today.isoformat()))


def note_prompt(draft: int, t: Translator) -> View:
    return View(
        t("Add a note (what you saw, who you spoke to), or skip."),
        ((Button(t("Skip"), DropoutSkip(draft, "note")),),),
    )


def confirm_screen(
    child: str, code: str, since: str, reason: str, note: str | None, draft: int, t: Translator
) -> View:
    lines = [
        t(
            "Report: {child} of household {code}, out of school since {since}, reason: {reason}.",
            child=esc(child),
            code=esc(code),
            since=date_text(t, since),
            reason=t(REASON_NAMES[reason]),
        )
    ]
    if note:
        lines.append(t("Note: {note}", note=esc(note)))
    buttons = (
        Button(t("\u2705 Report"), DropoutConfirm(draft, 1)),
        Button(t("Cancel"), DropoutConfirm(draft, 0)),
    )
    return View("\n".join(lines), (buttons,))


def cancelled(t: Translator) -> View:
    return View(t("Cancelled. Nothing was reported."))


def ledger_offer(member_id: int, t: Translator) -> View:
    """What the ledger sends after a child is marked "suspected dropout"."""
    return View(
        t("The child's township central school takes up a dropout case: report it?"),
        ((Button(t("Report as a dropout case"), DropoutFromLedger(member_id=member_id)),),),
    )
