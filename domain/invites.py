"""One-time invite codes: short to type on a phone, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

# No 0/O, 1/I/L: codes are read aloud and typed on cheap phones.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
MAX_WRONG_CODES = 5
WRONG_CODE_WINDOW = timedelta(hours=1)


def new_invite_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    return text.strip().upper().replace("-", "").replace(" ", "")


def hash_code(code: str) -> str:
    """The database keeps only this, so a leaked table does not leak usable codes."""
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def is_throttled(wrong_attempt_times: list[datetime], now: datetime) -> bool:
    """Too many wrong codes from one account within the window."""
    recent = [t for t in wrong_attempt_times if now - t < WRONG_CODE_WINDOW]
    return len(recent) >= MAX_WRONG_CODES
