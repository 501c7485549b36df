"""Refusal texts of the monthly notice (merged into handlers.refusals.REFUSALS)."""

from bot.i18n import N_

REFUSALS: dict[str, str] = {
    "notice_supervisors_only": N_(
        "The monthly notice ranks units against each other, so only supervisors receive it. "
        "(Rule: the notice is for supervisors.)"
    ),
    "bad_month": N_(
        "\u201c{text}\u201d is not a month. Write it as YYYY-MM, for example 2026-11. "
        "(Rule: month format.)"
    ),
    "notice_future_month": N_(
        "{month} has not started yet, so there is nothing to report. (Rule: no future months.)"
    ),
}
