"""What is past retention (domain.retention) and whether Telegram's webhook is the one the
deployment set (domain.webhook_state): pure rules, no I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import PurePosixPath

import pytest

from domain.retention import Retention, evidence_month, month_folder, month_past, within
from domain.webhook_state import WebhookCheck, WebhookSeen, WebhookWanted

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def test_evidence_is_judged_by_the_visit_date_in_days() -> None:
    retention = Retention(evidence_days=730, update_log_days=7)
    assert retention.evidence_before(date(2026, 11, 28)) == date(2024, 11, 28)
    assert Retention(None, 7).evidence_before(date(2026, 11, 28)) is None  # kept for good
    assert retention.update_log_before(NOW) == NOW - timedelta(days=7)


@pytest.mark.parametrize(("evidence", "update_log"), [(0, 7), (730, 1), (730, 0)])
def test_retention_never_below_its_floor(evidence: int, update_log: int) -> None:
    with pytest.raises(ValueError):
        Retention(evidence_days=evidence, update_log_days=update_log)


def test_a_month_is_past_when_its_last_day_is() -> None:
    assert month_past(2024, 10, date(2024, 11, 1))
    assert not month_past(2024, 11, date(2024, 11, 30))  # the 30th is not before it
    assert month_past(2024, 11, date(2024, 12, 1))
    assert not month_past(2024, 12, date(2024, 12, 31))
    assert month_past(2024, 12, date(2025, 1, 1))  # December rolls over into January


def test_only_the_bots_own_copies_are_recognised() -> None:
    assert evidence_month(PurePosixPath("2024/03/household-12-AgAD_x-1.jpg")) == (2024, 3)
    assert evidence_month(PurePosixPath("2024/03/village-3-.jpg")) == (2024, 3)
    for other in (
        "2024/03/notes.txt",
        "2024/03/household-12-a.png",
        "2024/13/household-12-a.jpg",
        "2024/3/household-12-a.jpg",
        "county/2024/03/household-12-a.jpg",
        "2024/03/sub/household-12-a.jpg",
        "2024/03/household-x-a.jpg",
    ):
        assert evidence_month(PurePosixPath(other)) is None, other
    assert month_folder("2024", "00") is None and month_folder("24", "01") is None


def test_within_means_strictly_inside() -> None:
    root = PurePosixPath("/srv/evidence")
    assert within(root, PurePosixPath("/srv/evidence/2024/03/a.jpg"))
    assert not within(root, root)
    assert not within(root, PurePosixPath("/srv/evidence-old/a.jpg"))  # a prefix, not inside
    assert not within(root, PurePosixPath("/etc/passwd"))


WANTED = WebhookWanted(
    "https://bot.example.org/telegram/webhook", ("callback_query", "message"), 40
)


def _seen(**fields: object) -> WebhookSeen:
    values: dict[str, object] = {
        "url": WANTED.url,
        "pending_update_count": 0,
        "allowed_updates": ("message", "callback_query"),
        "max_connections": 40,
    }
    return WebhookSeen(**{**values, **fields})  # type: ignore[arg-type]


def test_the_webhook_matches_in_any_order_of_update_kinds() -> None:
    assert WebhookCheck(WANTED, _seen()).problems(NOW) == ()
    assert WebhookCheck(WANTED, None, error="refused").problems(NOW) == ("unasked",)
    assert WebhookCheck(WANTED, _seen(url="")).problems(NOW) == ("no_webhook",)
    other = _seen(url="https://old.example.org/telegram/webhook", allowed_updates=None)
    assert WebhookCheck(WANTED, other).problems(NOW) == ("other_url", "allowed_updates")
    assert WebhookCheck(WANTED, _seen(max_connections=5)).problems(NOW) == ("max_connections",)


def test_failing_is_a_recent_error_while_updates_wait() -> None:
    recent = NOW - timedelta(minutes=14)
    failing = _seen(pending_update_count=3, last_error_at=recent, last_error_message="503")
    assert WebhookCheck(WANTED, failing).problems(NOW) == ("failing",)
    drained = _seen(pending_update_count=0, last_error_at=recent, last_error_message="503")
    assert WebhookCheck(WANTED, drained).problems(NOW) == ()  # delivered since: history
    old = _seen(pending_update_count=3, last_error_at=NOW - timedelta(minutes=16))
    assert WebhookCheck(WANTED, old).problems(NOW) == ()
