"""Refusal texts of the village-visit feature (merged into handlers.refusals.REFUSALS)."""

from bot.i18n import N_

REFUSALS: dict[str, str] = {
    "unit_not_paired": N_(
        "Your unit is not paired with a poor village, so there is no village visit to log. "
        "(Rule: only pairing units log village visits.)"
    ),
    "not_your_village": N_(
        "That village is not paired with your unit, so nothing was logged. "
        "(Rule: only your unit's own village.)"
    ),
    "several_villages": N_(
        "Your unit is paired with several villages: send /village and pick one. "
        "(Rule: say which village.)"
    ),
}
