"""Framework-free rules of the pairing plan: periods, visit dates, coverage, permissions.

Nothing here imports aiogram or SQLAlchemy, so another messaging channel (WeCom, DingTalk)
can reuse every rule unchanged. A test enforces this.
"""
