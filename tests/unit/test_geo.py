"""Distances, the far-from-place flag and where photo copies go."""

from datetime import date
from pathlib import Path

import pytest

from domain.geo import check_location, distance_m
from services.evidence import evidence_path


def test_distance_of_a_known_pair() -> None:
    # 0.01 degree of latitude is about 1,112 m anywhere.
    assert distance_m(25.50, 101.24, 25.51, 101.24) == pytest.approx(1112, rel=0.01)
    assert distance_m(25.5, 101.2, 25.5, 101.2) == 0


def test_far_flag_allows_for_the_phones_accuracy() -> None:
    place = (25.50, 101.24)
    near = check_location((25.505, 101.24), 10.0, place, 1500)
    assert near.far is False and near.distance_m == pytest.approx(556, rel=0.01)
    far = check_location((25.52, 101.24), 10.0, place, 1500)
    assert far.far is True
    # A vague fix (accuracy 1 km) is not called far at 2.2 km.
    assert check_location((25.52, 101.24), 1000.0, place, 1500).far is False


def test_no_place_or_no_location_is_never_far() -> None:
    assert check_location(None, None, (25.5, 101.2), 1500).distance_m is None
    assert check_location((25.5, 101.2), 5.0, (None, None), 1500).far is False


def test_far_is_strictly_beyond_threshold_plus_accuracy() -> None:
    place = (25.50, 101.24)
    reported = (25.51, 101.24)
    meters = distance_m(*reported, *place)
    assert check_location(reported, 0.0, place, meters).far is False  # exactly at the line
    assert check_location(reported, None, place, meters - 1).far is True
    assert check_location(reported, 2.0, place, meters - 1).far is False  # accuracy widens it


def test_distance_is_symmetric_and_crosses_the_antimeridian() -> None:
    there = distance_m(25.5, 101.2, 24.9, 102.7)
    assert there == pytest.approx(distance_m(24.9, 102.7, 25.5, 101.2))
    # 179.99 E to 179.99 W along the equator: about 2.2 km, not half the world.
    assert distance_m(0.0, 179.99, 0.0, -179.99) == pytest.approx(2224, rel=0.01)


def test_evidence_path_by_visit_date_and_kind() -> None:
    path = evidence_path(Path("/srv/evidence"), "village", 7, date(2026, 1, 31), "AQAD/../x")
    # Only letters, digits, - and _ from a file id reach the file name: no path tricks.
    assert path == Path("/srv/evidence/2026/01/village-7-AQADx.jpg")
