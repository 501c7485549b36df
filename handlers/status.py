"""Placeholder router, filled in by the status feature."""

from __future__ import annotations

from aiogram import Router


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    return Router(name="status")
