"""Refusal texts of the schooling feature (merged into handlers.refusals.REFUSALS)."""

from bot.i18n import N_

REFUSALS: dict[str, str] = {
    "schooling_not_allowed": N_(
        "Schooling rates are for supervisors (the whole county) and central schools (their "
        "township). (Rule: rates are seen by supervisors and central schools.)"
    ),
    "schooling_no_arguments": N_(
        "/schooling takes no arguments: it always shows the current school year. "
        "(Rule: the current school year.)"
    ),
}
