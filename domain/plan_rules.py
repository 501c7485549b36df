"""The plan's rules that depend on deployment settings, as one frozen object built in the root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class PlanRules:
    """Time zone, back-dating, far distance, ledger season and evidence folder; no defaults hide
    elsewhere: every date rule takes its zone from here."""

    tz: ZoneInfo
    backdate_days: int = 30
    # A location farther than this (plus its stated accuracy) is flagged, never refused.
    far_beyond_m: float = 1500.0
    # (month, day) the ledger season opens each year, in the plan's time zone.
    ledger_season_opens: tuple[int, int] = (9, 1)
    # Where copies of visit photos are kept (CADREBOT_EVIDENCE_DIR); None keeps file ids only.
    evidence_dir: Path | None = None
