"""What is known about the update being handled, for its log lines and its metrics.

A context variable, so a log line written anywhere while an update is handled (a handler,
a service, aiogram itself) can carry the update's id, chat, cadre and handler without
passing them along. No aiogram here: the log formatters (bot.logs) read it, and every CLI
command loads them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

# What became of one delivered update (cadrebot_updates_total's `outcome`).
OK = "ok"
REFUSED = "refused"  # a rule refused it and the person was told why
UNHANDLED = "unhandled"  # no handler wanted it (or it came to a bot that serves no county)
ERROR = "error"  # failed for good: a bug, or a failure that outlasted every retry
RETRY = "retry"  # left for a later delivery (the next poll; a 503 to Telegram's webhook)
DUPLICATE = "duplicate"  # handled before: a redelivery changed nothing


@dataclass
class UpdateContext:
    """One delivery of one update; the handler, cadre and outcome are filled in as known."""

    update_id: int
    kind: str
    chat_id: int | None
    county: str = ""
    cadre_code: str | None = None
    handler: str | None = None
    outcome: str | None = None

    def log_fields(self) -> dict[str, object]:
        """The fields every log line written during the update carries (None left out)."""
        fields: dict[str, object] = {
            "update_id": self.update_id,
            "update_kind": self.kind,
            "chat_id": self.chat_id,
            "county": self.county or None,
            "cadre_code": self.cadre_code,
            "handler": self.handler,
        }
        return {key: value for key, value in fields.items() if value is not None}


_current: ContextVar[UpdateContext | None] = ContextVar("cadrebot_update_context", default=None)


def current_update() -> UpdateContext | None:
    return _current.get()


@contextlib.contextmanager
def update_context(context: UpdateContext) -> Iterator[UpdateContext]:
    """`context` is the current update's while the block runs (and in tasks it starts)."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def note_handler(name: str) -> None:
    context = _current.get()
    if context is not None:
        context.handler = name


def note_cadre(code: str) -> None:
    context = _current.get()
    if context is not None:
        context.cadre_code = code


def note_outcome(outcome: str) -> None:
    context = _current.get()
    if context is not None:
        context.outcome = outcome
