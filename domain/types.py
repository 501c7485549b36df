"""Distinct id types so a cadre id is never passed where a household id is expected."""

from typing import NewType

CadreId = NewType("CadreId", int)
UnitId = NewType("UnitId", int)
HouseholdId = NewType("HouseholdId", int)
VillageId = NewType("VillageId", int)
TownshipId = NewType("TownshipId", int)
TelegramUserId = NewType("TelegramUserId", int)
