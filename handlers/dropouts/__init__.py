"""/dropout (report a child out of school) and /cases (the dropout-case workflow).

Buttons carry ids only; the service re-checks who may see and act on every press. The
people other than the one acting are told through the outbox, in the same transaction.
"""

from __future__ import annotations

from aiogram import Router

from handlers.dropouts import cases, report


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="dropouts")
    router.include_routers(report.build_router(), cases.build_router())
    return router
