"""Refusal texts of the ledger feature (merged into handlers.refusals.REFUSALS)."""

from bot.i18n import N_

REFUSALS: dict[str, str] = {
    "ledger_needs_empty": N_(
        "Type what the household needs, or \u201c无\u201d if nothing. "
        "(Rule: the needs must be filled in.)"
    ),
    "ledger_text_too_long": N_(
        "That answer is too long: {length} characters, at most {limit}. Shorten it and send "
        "it again. (Rule: ledger answer length.)"
    ),
    "ledger_school_grade_format": N_(
        "Write the school, then the grade, separated by a space, for example: 栋川小学 四年级. "
        "(Rule: an enrolled child needs a school and a grade.)"
    ),
    "ledger_bad_amount": N_(
        "\u201c{text}\u201d is not an amount. Write a positive number of yuan below 1,000,000 "
        "with at most 2 decimals, for example 1500 or 1500.50. (Rule: aid amount.)"
    ),
    "ledger_bad_birth_date": N_(
        "{date} cannot be a birth date: it is in the future or more than 120 years ago. "
        "(Rule: a real birth date.)"
    ),
}

__all__ = ["N_", "REFUSALS"]
