"""Router filters: who may reach a handler at all."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject
from aiogram.utils.magic_filter import MagicFilter
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.plan_rules import PlanRules
from handlers.context import Context
from services.actors import Actor
from ui.i18n import Catalogs, Translator


class Magic(Filter):
    """A magic filter (`F.text`, `F.chat.type == "private"`) checked on the event loop.

    aiogram runs a bare magic filter, like any plain function, in a worker thread
    (`asyncio.to_thread`): a thread hop per check, on every update for the router-wide
    ones. The result is the same (a falsy value stops the handler, a dict is passed on).
    """

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self.magic.resolve(event)


class Registered(Filter):
    """Passes only for accounts bound to a cadre on the roster; hands the handler its `ctx`."""

    async def __call__(
        self,
        event: TelegramObject,
        session: AsyncSession,
        clock: Clock,
        plan_rules: PlanRules,
        t: Translator,
        catalogs: Catalogs,
        actor: Actor | None = None,
        **_: Any,
    ) -> bool | dict[str, Any]:
        if actor is None:
            return False
        return {"ctx": Context(session, actor, clock, plan_rules, t, catalogs)}
