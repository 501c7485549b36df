"""How long the oldest unsent outbox row has been waiting for the sender, in its own terms.

A reminder queued at 21:05 waits for the quiet hours to end (08:00) on purpose: those
eleven hours are not a delay. So a row counts from when it became sendable: its due time
(`not_before`), or for reminders held by quiet hours the end of the quiet hours that held
it. Case notifications are never held (reminders/sender.py), so they count from due.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain.reminders import QuietHours


def last_quiet_end(now: datetime, quiet: QuietHours, tz: ZoneInfo) -> datetime:
    """The latest end of the quiet hours at or before `now` (an aware instant)."""
    local = now.astimezone(tz)
    end = datetime.combine(local.date(), quiet.end, tzinfo=tz)
    if end > local:
        end -= timedelta(days=1)
    return end


def oldest_sendable_age(
    now: datetime,
    oldest_event_due: datetime | None,
    oldest_reminder_due: datetime | None,
    quiet: QuietHours | None,
    tz: ZoneInfo,
) -> float:
    """Seconds since the oldest unsent row could have been sent; 0 when none could.

    `oldest_event_due`: the earliest due time of unsent case notifications (never held);
    `oldest_reminder_due`: of unsent reminders (held by `quiet`)."""
    since: list[datetime] = []
    if oldest_event_due is not None:
        since.append(oldest_event_due)
    if oldest_reminder_due is not None:
        if quiet is None or quiet.start == quiet.end:
            since.append(oldest_reminder_due)
        elif not quiet.contains(now.astimezone(tz).time()):
            since.append(max(oldest_reminder_due, last_quiet_end(now, quiet, tz)))
    if not since:
        return 0.0
    return max(0.0, (now - min(since)).total_seconds())
