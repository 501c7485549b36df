"""Refusal texts of the schooling feature (merged into handlers.refusals.REFUSALS)."""


REFUSALS: dict[str, str] = {}
