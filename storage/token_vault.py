"""County bot tokens at rest: encrypted with Fernet, opened with any of the deployment's keys.

Every county's bot token sits in the registry (storage.tenancy), so a database dump or backup
would hold every county's bot. With keys (the setting CADREBOT_TOKEN_KEYS, comma-separated)
a token is stored as a Fernet token (cryptography's AES-128-CBC with HMAC-SHA256, never our
own crypto): the first key encrypts, every key decrypts (MultiFernet), so a new key goes first
and the old one stays after it until `cadrebot tenant encrypt-tokens` has re-encrypted every
token with the new one. A value stored before keys (plain text, `<bot id>:<secret>`) is still
read as it is; `cadrebot doctor` warns about it.

The one module that encrypts or decrypts; cryptography is imported only when a token is
encrypted or decrypted, so a command that reads no token does not load it. Refusals name the
county and the setting, never a token or a key.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from domain.tenancy import TenantRefused

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

KEYS_SETTING = "CADREBOT_TOKEN_KEYS"
# A Fernet token is url-safe base64 of version byte 0x80 and a 64-bit timestamp (its high
# bytes zero for millennia): it starts with "gAAAAA". A Telegram token starts with digits.
SEALED_PREFIX = "gAAAAA"
# The registry's bot_id column is a BIGINT.
MAX_BOT_ID = 2**63 - 1


def is_sealed(stored: str) -> bool:
    """True if the registry's value is an encrypted token, False if plain text."""
    return stored.startswith(SEALED_PREFIX)


def is_fernet_key(key: str) -> bool:
    """Fernet's own rule (32 bytes, url-safe base64), checked without loading cryptography."""
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False


def new_key() -> str:
    """A fresh random key for CADREBOT_TOKEN_KEYS."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


def bot_id_of(token: str) -> int:
    """The bot's user id: the token's part before the colon (not secret; refused if none)."""
    head = token.split(":", 1)[0]
    if not head.isascii() or not head.isdigit() or not 0 < int(head) <= MAX_BOT_ID:
        raise TenantRefused("tenant_token")
    return int(head)


class TokenVault:
    """The deployment's keys; an empty vault encrypts nothing and opens plain text only."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._keys = tuple(key for key in keys if key)

    def __repr__(self) -> str:
        return f"TokenVault({len(self._keys)} keys)"

    @property
    def has_keys(self) -> bool:
        return bool(self._keys)

    @cached_property
    def _fernets(self) -> MultiFernet:
        from cryptography.fernet import Fernet, MultiFernet

        return MultiFernet([Fernet(key.encode("ascii")) for key in self._keys])

    @cached_property
    def _first(self) -> MultiFernet:
        from cryptography.fernet import Fernet, MultiFernet

        return MultiFernet([Fernet(self._keys[0].encode("ascii"))])

    def seal(self, token: str) -> str:
        """`token` encrypted with the first key; refused without keys."""
        if not self._keys:
            raise TenantRefused("tenant_token_keys")
        return self._fernets.encrypt(token.encode("utf-8")).decode("ascii")

    def open(self, stored: str, slug: str) -> str:
        """The token of county `slug` as stored: plain text as it is, encrypted decrypted by
        any key; refused naming the county and the setting when no key opens it."""
        if not is_sealed(stored):
            return stored
        if not self._keys:
            raise TenantRefused("tenant_token_no_key", slug=slug)
        from cryptography.fernet import InvalidToken

        try:
            return self._fernets.decrypt(stored.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise TenantRefused("tenant_token_wrong_key", slug=slug) from None

    def opens_with_first_key(self, stored: str) -> bool:
        """True if the first key alone decrypts `stored` (nothing left to rotate)."""
        if not self._keys or not is_sealed(stored):
            return False
        from cryptography.fernet import InvalidToken

        try:
            self._first.decrypt(stored.encode("ascii"))
        except (InvalidToken, UnicodeError):
            return False
        return True

    def reseal(self, stored: str, slug: str) -> str:
        """`stored` encrypted with the first key: plain text encrypted, an encrypted value
        decrypted by any key and encrypted again (MultiFernet.rotate)."""
        if not self._keys:
            raise TenantRefused("tenant_token_keys")
        if not is_sealed(stored):
            return self.seal(stored)
        from cryptography.fernet import InvalidToken

        try:
            return self._fernets.rotate(stored.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise TenantRefused("tenant_token_wrong_key", slug=slug) from None
