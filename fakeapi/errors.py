"""Exceptions shared by the validator, the limit checks and the method handlers."""

from __future__ import annotations


class Invalid(Exception):
    """A request violates the spec or a Telegram limit; `depth` ranks errors in unions."""

    def __init__(self, reason: str, depth: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.depth = depth


class ApiError(Exception):
    """An error answer in Telegram's format; `violation` marks bot mistakes for tests."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        violation: bool = False,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.violation = violation
        self.retry_after = retry_after
