"""Typed callback data: ids only, well under Telegram's 64 bytes."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class PickHousehold(CallbackData, prefix="vh"):
    household_id: int


class HouseholdPage(CallbackData, prefix="vp"):
    page: int


class PickDate(CallbackData, prefix="vd"):
    """`days_ago` 0 = today, 1 = yesterday, -1 = type another date."""

    days_ago: int


class VisitStep(CallbackData, prefix="vs"):
    """Confirm screen actions: ok, loc, note, cancel."""

    action: str
