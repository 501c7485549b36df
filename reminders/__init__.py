"""Scheduler wiring, reminder rules (who owes what) and the outbox sender (issue 5)."""
