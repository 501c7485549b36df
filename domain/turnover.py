"""Staff turnover: the rules for moving paired households from one cadre to another."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from domain.errors import InputRefused, PermissionRefused


@dataclass(frozen=True)
class CadreFacts:
    id: int
    code: str
    name: str
    active: bool


def check_reassign_pair(from_code: str, to_code: str) -> None:
    """Moving households to the cadre who already holds them would only churn history."""
    if from_code == to_code:
        raise InputRefused("reassign_same_cadre", code=from_code)


def check_cadres(
    from_code: str, from_cadre: CadreFacts | None, to_code: str, to_cadre: CadreFacts | None
) -> None:
    """Both cadres must be on the roster; the new holder must be active.

    The old holder may be inactive: a cadre who left is exactly whose households move.
    """
    for code, cadre in ((from_code, from_cadre), (to_code, to_cadre)):
        if cadre is None:
            raise InputRefused("unknown_cadre", code=code)
    assert to_cadre is not None
    if not to_cadre.active:
        raise PermissionRefused("inactive_cadre", code=to_code)


def households_to_move(
    held: Iterable[str], requested: Sequence[str] | None, from_code: str
) -> list[str]:
    """All of the old holder's households, or the requested ones, each held by the old holder.

    Every requested code the old holder does not hold is named at once, nothing moves.
    """
    held_codes = sorted(set(held))
    if requested is None:
        if not held_codes:
            raise InputRefused("nothing_to_reassign", code=from_code)
        return held_codes
    wanted = list(dict.fromkeys(code.strip() for code in requested if code.strip()))
    if not wanted:
        raise InputRefused("nothing_to_reassign", code=from_code)
    foreign = [code for code in wanted if code not in set(held_codes)]
    if foreign:
        raise PermissionRefused("not_held_by_from", code=from_code, households=", ".join(foreign))
    return sorted(wanted)


# Why a household is an orphan: no open pairing at all, or its holder is inactive.
ORPHAN_NO_PAIRING = "no_pairing"
ORPHAN_HOLDER_INACTIVE = "holder_inactive"


def orphan_reason(holder_active: bool | None) -> str | None:
    """None when the household has an active holder; else why it has none."""
    if holder_active is None:
        return ORPHAN_NO_PAIRING
    if not holder_active:
        return ORPHAN_HOLDER_INACTIVE
    return None
