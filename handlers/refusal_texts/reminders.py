"""Refusal texts of the reminders feature (merged into handlers.refusals.REFUSALS)."""


REFUSALS: dict[str, str] = {}
