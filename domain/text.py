"""What typed text may contain: no control characters (PostgreSQL and Excel refuse them)."""

from __future__ import annotations

import re

# C0 controls except tab and line feed: NUL breaks PostgreSQL text columns, the
# others break Excel exports, and none of them is typed on purpose.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")


def first_control_character(text: str | None) -> str | None:
    """The first forbidden control character as `U+0000`, or None when the text is clean."""
    if not text:
        return None
    found = _CONTROL.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def typed_code(text: str) -> str:
    """A roster code (household, village, unit, cadre) as typed or scanned: trimmed, in upper
    case, so "h0601005" finds H0601005 (roster codes are written in upper case)."""
    return text.strip().upper()
