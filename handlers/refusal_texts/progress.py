"""Refusal texts of the progress feature (merged into handlers.refusals.REFUSALS)."""

from bot.i18n import N_

REFUSALS: dict[str, str] = {}

__all__ = ["N_", "REFUSALS"]
