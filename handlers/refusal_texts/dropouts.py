"""Refusal texts of the dropouts feature (merged into handlers.refusals.REFUSALS)."""


REFUSALS: dict[str, str] = {}
