"""A screen as plain data: text plus rows of buttons (label + action). Channels render it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ui.actions import Action

PAGE_SIZE = 8
LABEL_LIMIT = 60


@dataclass(frozen=True)
class Button:
    label: str
    action: Action


Row = tuple[Button, ...]


@dataclass(frozen=True)
class View:
    """What one message says and offers; `text` is HTML with every user value escaped."""

    text: str
    rows: tuple[Row, ...] = ()


def button(label: str, action: Action) -> Button:
    """A button whose label fits a phone's width (long household names are cut)."""
    return Button(label[:LABEL_LIMIT], action)


def column(buttons: Sequence[Button]) -> tuple[Row, ...]:
    """One button per row."""
    return tuple((b,) for b in buttons)


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))


def paged(
    items: Sequence[Button], page: int, to_page: Callable[[int], Action], size: int = PAGE_SIZE
) -> tuple[Row, ...]:
    """The page's items one per row, then `← n/N →` when there is more than one page.

    A page out of range (a stale or forged button) shows the nearest real page.
    """
    pages = page_count(len(items), size)
    page = min(max(page, 0), pages - 1)
    rows = column(items[page * size : (page + 1) * size])
    if pages == 1:
        return rows
    nav: list[Button] = []
    if page > 0:
        nav.append(Button("\u2190", to_page(page - 1)))
    nav.append(Button(f"{page + 1}/{pages}", to_page(page)))
    if page < pages - 1:
        nav.append(Button("\u2192", to_page(page + 1)))
    return (*rows, tuple(nav))
