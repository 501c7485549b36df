"""Small rendering helpers shared by the routers."""

from __future__ import annotations

from collections.abc import Iterator
from html import escape

MESSAGE_LIMIT = 4096


def esc(value: object) -> str:
    """Escape anything user- or roster-supplied before it goes into an HTML message."""
    return escape(str(value), quote=False)


def chunks(text: str, limit: int = MESSAGE_LIMIT) -> Iterator[str]:
    """Split a long reply on line breaks so no message passes Telegram's limit."""
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                yield "\n".join(current)
                current, size = [], 0
            yield line[:limit]
            line = line[limit:]
        if size + len(line) + (1 if current else 0) > limit:
            yield "\n".join(current)
            current, size = [], 0
        size += len(line) + (1 if current else 0)
        current.append(line)
    if current:
        yield "\n".join(current)
