"""Who owes what on a day, one module per rule behind one protocol; and whether it is still owed.

A rule run only computes; the outbox's unique key makes a second run for the same day a
no-op, and the sender asks `still_owed_many` before sending, so a visit logged in the
meantime cancels its reminder.
"""

from reminders.rules.base import Batch, Firing, Reminder, Rule, RuleContext, fire_instant
from reminders.rules.registry import RULES, due_reminders, still_owed_many

__all__ = [
    "RULES",
    "Batch",
    "Firing",
    "Reminder",
    "Rule",
    "RuleContext",
    "due_reminders",
    "fire_instant",
    "still_owed_many",
]
