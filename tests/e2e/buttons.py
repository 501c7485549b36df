"""Find a button on a message by what it does, not by its packed callback data."""

from __future__ import annotations

from typing import Any

from fakeapi.state import JsonDict, iter_buttons
from ui.actions import Action, parse_action


def button_for(message: JsonDict, kind: type[Action], **fields: Any) -> str:
    """The callback data of the one button of `kind` whose fields match `fields`."""
    found = []
    for button in iter_buttons(message):
        action = parse_action(button.get("callback_data", ""))
        if isinstance(action, kind) and all(getattr(action, k) == v for k, v in fields.items()):
            found.append(button["callback_data"])
    assert len(found) == 1, f"{kind.__name__}{fields}: {len(found)} buttons match"
    return str(found[0])
