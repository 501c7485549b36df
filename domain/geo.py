"""Distance between a reported location and a recorded place: a flag, never a gate.

The 2023 national rules against "formalism at the fingertips" forbid forcing check-ins, so
a far or missing location is only shown to supervisors; it never refuses a visit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class LocationCheck:
    distance_m: float | None
    far: bool


def check_location(
    reported: tuple[float, float] | None,
    accuracy_m: float | None,
    place: tuple[float | None, float | None],
    far_beyond_m: float,
) -> LocationCheck:
    """Far when the distance exceeds the threshold plus the phone's own stated accuracy."""
    if reported is None or place[0] is None or place[1] is None:
        return LocationCheck(None, False)
    meters = distance_m(reported[0], reported[1], place[0], place[1])
    return LocationCheck(meters, meters > far_beyond_m + (accuracy_m or 0.0))
