"""The shipped example roster is believable today: ages, stages and grades agree."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from domain.ledgers import age_on
from domain.schooling import expected_stage, school_year_start

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = ROOT / "examples" / "roster" / "members.csv"
SCHOOL_YEAR = 2026  # the year the example is shown in (the shipped plan is re-based onto it)
GRADES = {
    "primary": ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级"),
    "junior": ("初一", "初二", "初三"),
}
FIRST_GRADE_AGE = {"primary": 6, "junior": 12}


def _members() -> list[dict[str, str]]:
    with MEMBERS.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _birth(row: dict[str, str]) -> date:
    return date.fromisoformat(row["birth_date"].replace("/", "-"))


def test_enrolled_children_are_in_the_stage_and_grade_of_their_age() -> None:
    enrolled = [m for m in _members() if m["status"] == "enrolled"]
    assert enrolled
    for member in enrolled:
        birth, stage = _birth(member), member["stage"]
        assert expected_stage(birth, SCHOOL_YEAR) == stage, member["name"]
        if member["grade"]:
            age = age_on(birth, school_year_start(SCHOOL_YEAR))
            assert GRADES[stage].index(member["grade"]) == age - FIRST_GRADE_AGE[stage], member


def test_not_school_age_means_outside_the_compulsory_ages() -> None:
    young = [m for m in _members() if m["status"] == "not_school_age"]
    assert young
    for member in young:
        assert expected_stage(_birth(member), SCHOOL_YEAR) is None, member["name"]


def test_graduates_are_past_the_stage_they_finished() -> None:
    for member in (m for m in _members() if m["status"] == "graduated"):
        age = age_on(_birth(member), school_year_start(SCHOOL_YEAR))
        assert age >= FIRST_GRADE_AGE[member["stage"]] + len(GRADES[member["stage"]]), member
