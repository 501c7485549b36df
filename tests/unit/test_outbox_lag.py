"""The oldest unsent outbox row's age counts from when it could have been sent: a reminder
held by quiet hours is not late, a case notification (never held) is."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.outbox_lag import last_quiet_end, oldest_sendable_age
from domain.reminders import QuietHours

SHANGHAI = ZoneInfo("Asia/Shanghai")
QUIET = QuietHours(time(21), time(8))


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def test_nothing_unsent_is_zero() -> None:
    assert oldest_sendable_age(local(28, 10), None, None, QUIET, SHANGHAI) == 0.0


def test_a_reminder_held_overnight_is_not_late_until_the_quiet_hours_end() -> None:
    queued = local(27, 21, 5)
    assert oldest_sendable_age(local(28, 7, 59), None, queued, QUIET, SHANGHAI) == 0.0
    # From 08:00 on it counts from 08:00, not from 21:05.
    assert oldest_sendable_age(local(28, 8), None, queued, QUIET, SHANGHAI) == 0.0
    assert oldest_sendable_age(local(28, 8, 30), None, queued, QUIET, SHANGHAI) == 1800.0
    # A reminder due in the day counts from its due time.
    due = local(28, 9)
    assert oldest_sendable_age(local(28, 10), None, due, QUIET, SHANGHAI) == 3600.0
    # Without quiet hours it counts from its due time, whatever the hour.
    assert oldest_sendable_age(local(28, 7), None, queued, None, SHANGHAI) == 35700.0


def test_case_notifications_are_never_held() -> None:
    due = local(27, 22)
    assert oldest_sendable_age(local(27, 23), due, None, QUIET, SHANGHAI) == 3600.0
    # The older of the two kinds decides.
    reminder = local(28, 9)
    assert oldest_sendable_age(local(28, 10), due, reminder, QUIET, SHANGHAI) == 12 * 3600.0


def test_the_last_end_of_the_quiet_hours() -> None:
    assert last_quiet_end(local(28, 10), QUIET, SHANGHAI) == local(28, 8)
    assert last_quiet_end(local(28, 7), QUIET, SHANGHAI) == local(27, 8)
    utc = datetime(2026, 11, 28, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
    assert last_quiet_end(utc, QUIET, SHANGHAI) == local(28, 8)
    assert oldest_sendable_age(utc, None, utc - timedelta(hours=5), QUIET, SHANGHAI) == 1800.0
