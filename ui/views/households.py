"""A cadre's households: the /households list and the paged picker /visit starts with."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from services.visits import MyHouseholds
from ui.actions import Action, HouseholdPage, PickHousehold
from ui.i18n import N_, Translator
from ui.render import bracket_text, date_text, esc, quarter_text
from ui.view import Button, View, button, paged
from ui.views.field_visit import mark

NO_HOUSEHOLDS = N_("You have no paired households on the roster.")


def households_text(mine: MyHouseholds, t: Translator) -> str:
    """Every household, not yet visited first, with its last visit; may need splitting."""
    if not mine.households:
        return t(NO_HOUSEHOLDS)
    lines = [
        t(
            "<b>My households</b> \u2014 {quarter}: {covered} of {total} visited",
            quarter=quarter_text(t, mine.quarter),
            covered=mine.covered_count,
            total=len(mine.households),
        )
    ]
    for household in mine.not_covered_first:
        last = date_text(t, household.last_visit) if household.last_visit else t("never visited")
        lines.append(
            f"{mark(household.visited_in_period)} <code>{esc(household.code)}</code> "
            f"{esc(household.head_name)}{bracket_text(t, esc(household.village_name))} \u2014 "
            + t("last visit: {date}", date=last)
        )
    lines.append(t("Log a visit: /visit"))
    return "\n".join(lines)


def household_picker(mine: MyHouseholds, page: int, t: Translator) -> View:
    """One page of households to visit, not yet visited first; ○ marks them."""
    question = t(
        "Which household did you visit? {quarter}: {covered} of {total} covered; "
        "\u25cb = not yet visited this quarter.",
        quarter=quarter_text(t, mine.quarter),
        covered=mine.covered_count,
        total=len(mine.households),
    )
    picks = [
        household_button(h.code, h.head_name, PickHousehold(household_id=h.id), h.visited_in_period)
        for h in mine.not_covered_first
    ]
    return household_pages(question, picks, page, lambda p: HouseholdPage(page=p), t)


def household_pages(
    question: str,
    picks: Sequence[Button],
    page: int,
    to_page: Callable[[int], Action],
    t: Translator,
) -> View:
    """Any household picker: the question over one page of households; a notice when none."""
    if not picks:
        return View(t(NO_HOUSEHOLDS))
    return View(question, paged(picks, page, to_page))


def household_button(code: str, head: str, action: Action, done: bool | None = None) -> Button:
    """`✓ CODE head` (○ while owed; no mark where nothing is owed), cut to a phone's width."""
    label = f"{code} {head}" if done is None else f"{mark(done)} {code} {head}"
    return button(label, action)
