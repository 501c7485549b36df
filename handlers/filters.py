"""Router filters: who may reach a handler at all."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from services.actors import Actor


class Registered(Filter):
    """Passes only for accounts bound to a cadre on the roster."""

    async def __call__(self, event: TelegramObject, actor: Actor | None = None, **_: Any) -> bool:
        return actor is not None
