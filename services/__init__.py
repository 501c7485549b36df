"""Use cases: each owns its transaction, calls repositories and domain rules, knows no channel."""
