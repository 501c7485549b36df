"""Coverage figures in words: a share as a percentage, 0 of 0 as "no duty" (never 100%)."""

from __future__ import annotations

from domain.coverage import Coverage
from ui.i18n import N_, Translator

NO_DUTY = N_("no duty")


def percent_text(coverage: Coverage, t: Translator) -> str:
    """ "67%"; "no duty" when nothing is assigned."""
    ratio = coverage.ratio
    return t(NO_DUTY) if ratio is None else f"{100 * ratio:.0f}%"


def weakest_first_key(coverage: Coverage) -> tuple[bool, float, str]:
    """Sort key: the lowest share first, rows without a duty last, then by code."""
    ratio = coverage.ratio
    return (ratio is None, ratio or 0.0, coverage.key)
