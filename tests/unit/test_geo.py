"""Distances and the far-from-place flag."""

import pytest

from domain.geo import check_location, distance_m


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
