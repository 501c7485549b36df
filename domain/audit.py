"""An export of roster, household or child data, as the export audit records it.

Household and child data are personal information under China's PIPL: whoever takes them
out of the bot (a report on the command line, a file sent in chat, a supervisor reading a
household's ledger) leaves one row saying who, what, scope, when and how many rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.errors import InputRefused

CLI, CHAT = "cli", "chat"
# What was exported (the `what` column): the report kinds, the chat's files and views.
COMPLIANCE = "compliance"
FAR_VISITS = "far-visits"
ORPHANS = "orphans"
NOTICE = "notice"
SCHOOLING = "schooling"
DROPOUTS = "dropouts"
REGIONAL_COMPLIANCE = "regional-compliance"
DOOR_CODES = "door-codes"
LEDGER = "ledger"
AUDIT = "audit"
# The scope of an export that covers the whole roster of the database (or county schema).
WHOLE_COUNTY = "county"
# `report audit` without --since lists this many days back.
AUDIT_DAYS = 30

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Export:
    """One export as it is recorded.

    `actor` is a cadre's code in chat, the machine's user on the command line; `cadre_id`
    (chat only) names the cadre whose Telegram account is recorded beside the code.
    `rows` counts the records the export held (lines of a CSV, children of a list, members
    of a ledger); `file_name` the files written or sent, comma-separated.
    """

    at: datetime
    channel: str
    actor: str
    what: str
    scope: str
    format: str
    rows: int
    period: str | None = None
    file_name: str | None = None
    cadre_id: int | None = None

    def __post_init__(self) -> None:
        if self.channel not in (CLI, CHAT):
            raise ValueError(f"channel {self.channel!r}: cli or chat")
        if self.at.tzinfo is None:
            raise ValueError("naive datetime refused: an export happens at an aware instant")
        if self.rows < 0:
            raise ValueError(f"rows {self.rows}: a count")


def parse_since(text: str, today: date) -> date:
    """`--since YYYY-MM-DD` (a local date); refused naming the date rule otherwise."""
    if not _ISO_DATE.match(text.strip()):
        raise InputRefused("date_format", text=text[:20], example=today.isoformat())
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputRefused("date_not_real", text=text[:20]) from None


def default_since(today: date) -> date:
    """Without --since: the last `AUDIT_DAYS` days, today included."""
    return today - timedelta(days=AUDIT_DAYS)
