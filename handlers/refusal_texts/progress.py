"""Refusal texts of the progress feature (merged into handlers.refusals.REFUSALS)."""

from bot.i18n import N_

REFUSALS: dict[str, str] = {
    "progress_unit_head_only": N_(
        "Only a unit head reports progress for the unit. Ask your unit head. "
        "(Rule: unit heads report progress.)"
    ),
    "progress_not_your_milestone": N_(
        "This milestone does not concern your unit, so nothing was saved. "
        "(Rule: only your unit's milestones.)"
    ),
    "progress_too_long": N_(
        "The progress text is too long: {length} characters, at most {limit}. "
        "Shorten it and send it again. (Rule: progress text length.)"
    ),
    "progress_empty": N_(
        "Type a few words about what your unit has done. (Rule: progress needs a text.)"
    ),
}

__all__ = ["N_", "REFUSALS"]
