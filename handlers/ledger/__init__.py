"""/ledger: view and update a paired household's ledger (台账) with buttons and short answers.

Every button carries ids only and the service re-checks that the household is the actor's.
After a change the refreshed ledger is sent as a new message (never an edit that could be
identical to the old one), and the message pressed loses its buttons (handlers.ledger.cards):
one message acts on a household's ledger at a time.
"""

from __future__ import annotations

from aiogram import Router

from handlers.ledger import answers, edits, viewing


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="ledger")
    router.include_routers(viewing.build_router(), edits.build_router(), answers.build_router())
    return router
