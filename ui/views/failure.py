"""What a person reads when their message could not be handled (a bug, or an outage that
outlasted the retries): whether anything of it was saved, and what to do."""

from __future__ import annotations

from ui.i18n import N_, Translator

NOTHING_SAVED = N_("Something went wrong, and nothing was saved. Please try again.")
PARTLY_SAVED = N_(
    "Something went wrong after part of this was saved. Please check before you try again."
)


def failure_text(saved: bool, t: Translator) -> str:
    """One short message; "nothing was saved" only when no write was committed."""
    return t(PARTLY_SAVED if saved else NOTHING_SAVED)
