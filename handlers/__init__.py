"""aiogram routers: parse the update, call one service, render the reply."""

from __future__ import annotations

from aiogram import F, Router

from handlers import (
    cancel,
    compliance,
    deadlines,
    dropouts,
    fallback,
    households,
    language,
    ledger,
    notice,
    progress,
    regional,
    reminders,
    schooling,
    start,
    status,
    village,
    visits,
)
from handlers.filters import Magic, Registered


def build_root_router() -> Router:
    """Compose every feature router; private chats only, roster-only after /start."""
    root = Router(name="root")
    root.message.filter(Magic(F.chat.type == "private"))
    root.callback_query.filter(Magic(F.message.chat.type == "private"))

    registered = Router(name="registered")
    registered.message.filter(Registered())
    registered.callback_query.filter(Registered())
    registered.include_routers(
        cancel.build_router(),
        visits.build_router(),
        village.build_router(),
        ledger.build_router(),
        dropouts.build_router(),
        status.build_router(),
        progress.build_router(),
        households.build_router(),
        compliance.build_router(),
        notice.build_router(),
        schooling.build_router(),
        deadlines.build_router(),
        reminders.build_router(),
        language.build_router(),
    )
    root.include_routers(
        regional.build_router(), start.build_router(), registered, fallback.build_router()
    )
    return root
