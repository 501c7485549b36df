"""Callback data back into actions: an aiogram filter over ui.actions, and keyboards from views."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import CallbackQuery
from magic_filter import MagicFilter

from ui.actions import Action


class ActionFilter(Filter):
    """Matches callback data that unpacks to `kind` (and passes `rule`); injects `callback_data`."""

    def __init__(self, kind: type[Action], rule: MagicFilter | None = None) -> None:
        self.kind = kind
        self.rule = rule

    async def __call__(self, query: CallbackQuery) -> bool | dict[str, Any]:
        if not query.data:
            return False
        action = self.kind.unpack(query.data)
        if action is None:
            return False
        if self.rule is not None and not self.rule.resolve(action):
            return False
        return {"callback_data": action}


def on(kind: type[Action], rule: MagicFilter | None = None) -> ActionFilter:
    """`router.callback_query.register(handler, on(VisitStep, F.action == "ok"))`."""
    return ActionFilter(kind, rule)
