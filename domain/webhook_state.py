"""Whether Telegram's view of a bot's webhook (getWebhookInfo) is what the deployment set:
the URL, the update kinds the handlers use, the connections; and whether Telegram is failing
to deliver (a recent error while updates wait). `cadrebot doctor` asks; this decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# A delivery error this recent, with updates still waiting, means the replicas are not
# being reached now (a replica restarting answers 503 for a moment: older errors are history).
FAILING_WITHIN = timedelta(minutes=15)


@dataclass(frozen=True)
class WebhookWanted:
    """What every replica sets at start (bot.webhook.set_webhook)."""

    url: str
    allowed_updates: tuple[str, ...]
    max_connections: int


@dataclass(frozen=True)
class WebhookSeen:
    """Telegram's answer to getWebhookInfo; `allowed_updates` None: Telegram's default set."""

    url: str
    pending_update_count: int
    allowed_updates: tuple[str, ...] | None = None
    max_connections: int | None = None
    last_error_at: datetime | None = None
    last_error_message: str | None = None


@dataclass(frozen=True)
class WebhookCheck:
    """The wanted webhook and Telegram's answer, or why Telegram could not be asked."""

    wanted: WebhookWanted
    seen: WebhookSeen | None
    error: str | None = None

    def problems(self, now: datetime) -> tuple[str, ...]:
        """What is wrong, as keys: `unasked`, `no_webhook`, `other_url`, `allowed_updates`,
        `max_connections`, `failing`; empty when Telegram's webhook is the wanted one."""
        seen, wanted = self.seen, self.wanted
        if seen is None:
            return ("unasked",)
        if not seen.url:
            return ("no_webhook",)
        found: list[str] = []
        if seen.url != wanted.url:
            found.append("other_url")
        if seen.allowed_updates is None or set(seen.allowed_updates) != set(wanted.allowed_updates):
            found.append("allowed_updates")
        if seen.max_connections is not None and seen.max_connections != wanted.max_connections:
            found.append("max_connections")
        if self.failing(now):
            found.append("failing")
        return tuple(found)

    def failing(self, now: datetime) -> bool:
        """A delivery error within FAILING_WITHIN while updates still wait at Telegram."""
        seen = self.seen
        if seen is None or seen.last_error_at is None or not seen.pending_update_count:
            return False
        return now - seen.last_error_at <= FAILING_WITHIN
