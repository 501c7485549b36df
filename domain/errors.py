"""Domain errors carry a stable reason code and parameters; channels render them."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule refused the request; `reason` names the rule, `params` fill its message."""

    reason: str = "refused"

    def __init__(self, reason: str | None = None, **params: Any) -> None:
        self.reason = reason or self.reason
        self.params = params
        super().__init__(f"{self.reason} {params!r}")


class NotOnRoster(DomainError):
    reason = "not_on_roster"


class PermissionRefused(DomainError):
    reason = "permission"


class VisitDateRefused(DomainError):
    reason = "visit_date"


class InviteRefused(DomainError):
    reason = "invite"


class InputRefused(DomainError):
    reason = "input"
