"""The demo county: deterministic, believable, and consistent with the plan's figures."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from domain.schooling import school_year_of
from services.demo.county import DEMO_PERSONAS, build_demo_tables
from services.files.roster import tables_from_dicts
from services.roster_import import prepare_tables

NINE_TOWNSHIPS = {"栋川镇", "光禄镇", "前场镇", "弥兴镇", "太平镇", "适中乡", "左门乡",
                  "大河口乡", "官屯镇"}  # fmt: skip


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def test_same_seed_same_county_other_seed_other_county() -> None:
    assert build_demo_tables("small", 7) == build_demo_tables("small", 7)
    assert build_demo_tables("small", 7) != build_demo_tables("small", 8)


@pytest.mark.parametrize(("size", "households"), [("small", 60), ("medium", 600)])
def test_sizes(size: str, households: int) -> None:
    tables = build_demo_tables(size)
    assert len(tables["households"]) == households
    assert {t["name"] for t in tables["townships"]} == NINE_TOWNSHIPS


def test_full_size_matches_the_plan() -> None:
    tables = build_demo_tables("full")
    assert len(tables["households"]) == 6612
    assert len(tables["members"]) == 24937
    assert sum(int(str(h["size"])) for h in tables["households"]) == 24937
    poor = [v for v in tables["villages"] if v["poor"]]
    assert len(poor) == 19
    assert len({v["township_code"] for v in poor}) == 3
    kinds = Counter(u["kind"] for u in tables["units"])
    assert kinds == {"section": 5, "office": 1, "central_school": 9, "school": 3}


@pytest.mark.parametrize("size", ["small", "medium", "full"])
def test_roster_rules_hold(size: str) -> None:
    tables = build_demo_tables(size)
    prepare_tables(tables_from_dicts(tables))  # raises on any bad row or duplicate
    households = {h["code"]: h for h in tables["households"]}
    per_household = Counter(m["household_code"] for m in tables["members"])
    assert all(per_household[c] == h["size"] for c, h in households.items())
    assert all(1 <= int(str(h["size"])) <= 7 for h in households.values())
    # every household held by exactly one cadre; every holder holds 3-8
    assert sorted(p["household_code"] for p in tables["pairings"]) == sorted(households)
    held = Counter(p["cadre_code"] for p in tables["pairings"])
    assert all(3 <= n <= 8 for n in held.values())
    # every unit has exactly one head and a poor village to visit
    cadres = {c["code"]: c for c in tables["cadres"]}
    heads = Counter(c["unit_code"] for c in cadres.values() if c["role"] == "unit_head")
    assert heads == {u["code"]: 1 for u in tables["units"]}
    poor = {v["code"] for v in tables["villages"] if v["poor"]}
    paired_units = {uv["unit_code"] for uv in tables["unit_villages"]}
    assert paired_units == {u["code"] for u in tables["units"]}
    assert all(uv["village_code"] in poor for uv in tables["unit_villages"])
    # the personas
    assert cadres[DEMO_PERSONAS["cadre"]]["role"] == "cadre"
    assert held[DEMO_PERSONAS["cadre"]] >= 3
    head = cadres[DEMO_PERSONAS["unit_head"]]
    assert head["role"] == "unit_head"
    assert sum(1 for c in cadres.values() if c["unit_code"] == head["unit_code"]) >= 4
    assert cadres[DEMO_PERSONAS["supervisor"]]["role"] == "supervisor"
    assert cadres[DEMO_PERSONAS["admin"]]["role"] == "admin"
    assert Counter(c["role"] for c in cadres.values())["supervisor"] == 2


def test_children_of_school_age_have_fitting_stage_and_grade() -> None:
    tables = build_demo_tables("medium", school_year=2017)
    sept1 = date(2017, 9, 1)
    stages: Counter[str] = Counter()
    for m in tables["members"]:
        birth = m["birth_date"]
        assert isinstance(birth, date)
        age = _age_on(birth, sept1)
        if 6 <= age <= 11 and m["status"] == "enrolled":
            assert m["stage"] == "primary" and m["school"] and m["grade"]
        if 12 <= age <= 14 and m["status"] == "enrolled":
            assert m["stage"] == "junior" and m["school"] and m["grade"]
        stages[f"{m['stage']}/{m['status']}"] += 1
    assert stages["primary/enrolled"] > 50
    assert stages["junior/enrolled"] > 20
    assert stages["junior/graduated"] + stages["senior/graduated"] > 0
    assert stages["None/not_school_age"] > 0


def test_school_year_follows_the_sept_first_cut_off() -> None:
    assert school_year_of(date(2026, 3, 10)) == 2025
    assert school_year_of(date(2026, 9, 1)) == 2026
    later = build_demo_tables("small", school_year=2026)["members"]
    earlier = build_demo_tables("small", school_year=2017)["members"]
    shift = {
        (a["birth_date"].year - b["birth_date"].year)  # type: ignore[union-attr]
        for a, b in zip(later, earlier, strict=True)
    }
    assert shift == {9}


@pytest.mark.parametrize("size", ["small", "medium"])
def test_the_school_persona_heads_the_school_of_the_cadre_personas_households(size: str) -> None:
    tables = build_demo_tables(size, school_year=2026)
    cadres = {c["code"]: c for c in tables["cadres"]}
    township_of_village = {v["code"]: v["township_code"] for v in tables["villages"]}
    village_of = {h["code"]: h["village_code"] for h in tables["households"]}
    held = [
        p["household_code"] for p in tables["pairings"] if p["cadre_code"] == DEMO_PERSONAS["cadre"]
    ]
    township = township_of_village[village_of[held[0]]]
    head = cadres[DEMO_PERSONAS["central_school"]]
    [school] = [u for u in tables["units"] if u["code"] == head["unit_code"]]
    assert (head["role"], school["kind"], school["township_code"]) == (
        "unit_head",
        "central_school",
        township,
    )
    assert len(cadres) == len(tables["cadres"])  # the swap left every code unique
