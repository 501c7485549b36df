"""A believable, deterministic demo county built from the 2017 plan's figures.

The demo produces the same tables and columns as a roster file and is written through
the roster import, so the sandbox exercises the real import path. The same seed always
gives the same county. Place names of villages and all people are invented.

Sizes:
- small: one poor township (适中乡) with 8 units and 60 households; fast, for tests;
- medium: the whole county (9 townships, 18 units) with 600 households;
- full: the whole county with 6,612 households and exactly 24,937 people.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock, FixedClock, local_today
from domain.schooling import expected_stage, school_year_of
from services.roster_import import ImportSummary, import_tables

Row = dict[str, object]
Tables = dict[str, list[Row]]


# Fixed roster codes the sandbox logs in as; valid in every size.
DEMO_PERSONAS: dict[str, str] = {
    "cadre": "C0001",  # 教育股 cadre holding 5 households
    "unit_head": "C0002",  # head of 教育股, which has at least 4 household-holding cadres
    "supervisor": "C0003",  # discipline inspection group (局办公室); C0004 is the second
    "admin": "C0005",  # bureau office administrator
    # head of the central school of the township of the cadre persona's households (it
    # receives the cases the cadre persona reports); the code is swapped onto them
    "central_school": "C0006",
}
PERSONA_UNIT = "JYG"
SUPERVISOR_CODES = ("C0003", "C0004")
PERSONA_HOUSEHOLDS = 5

TOWNSHIPS: tuple[tuple[str, str], ...] = (
    ("T01", "栋川镇"),
    ("T02", "光禄镇"),
    ("T03", "前场镇"),
    ("T04", "弥兴镇"),
    ("T05", "太平镇"),
    ("T06", "适中乡"),
    ("T07", "左门乡"),
    ("T08", "大河口乡"),
    ("T09", "官屯镇"),
)
SEAT = "T01"  # the county seat, where the bureau and the county schools are
# The plan's 3 poor townships and 19 poor villages (village names invented).
POOR_VILLAGES: dict[str, tuple[str, ...]] = {
    "T06": ("大坝村", "马游村", "岔河村", "三家村", "新田村", "松坪村", "麦地村"),
    "T07": ("地索村", "龙岗村", "左门村", "大麦地村", "小河村", "黑泥村"),
    "T08": ("大河口村", "花椒园村", "石者村", "白马村", "羊街村", "瓦房村"),
}
OTHER_VILLAGE_NAMES = (
    "中和村", "东升村", "西河村", "南山村", "北屯村", "连厂村", "青龙村", "白塔村", "光明村",
    "永安村", "和平村", "仁和村", "安乐村", "兴隆村", "太和村", "长春村", "红旗村", "团结村",
    "龙华村", "新街村", "大营村", "小营村", "上村", "下村", "双河村", "五里村", "三合村",
)  # fmt: skip
SECTIONS: tuple[tuple[str, str], ...] = (
    ("JYG", "教育股"),
    ("JCG", "计财股"),
    ("JHB", "均衡办"),
    ("GCB", "工程办"),
    ("YYB", "营养办"),
)
OFFICE = ("BGS", "局办公室")
COUNTY_SCHOOLS: tuple[tuple[str, str], ...] = (
    ("YAYZ", "姚安县第一中学"),
    ("MZZX", "姚安县民族中学"),
    ("ZYGZ", "姚安县职业高级中学"),
)

SURNAMES = (
    "李", "杨", "张", "王", "罗", "自", "字", "起", "普", "毕", "鲁", "周", "赵", "陈", "刘",
    "施", "苏", "胡", "段", "郭", "何", "马", "夏", "孙", "高", "左", "余", "董", "邓", "黄",
)  # fmt: skip
GIVEN_MALE = (
    "国华", "建明", "德才", "正荣", "开元", "光明", "有才", "金福", "兴华", "文华", "志刚",
    "永红", "家富", "树林", "云龙", "春生", "学文", "绍忠", "明", "刚", "伟", "军", "强",
    "平", "斌", "涛", "勇", "杰", "俊", "浩",
)  # fmt: skip
GIVEN_FEMALE = (
    "丽萍", "春花", "晓梅", "秀英", "玉兰", "桂芬", "丽华", "艳", "敏", "芳", "娟", "红",
    "燕", "霞", "婷", "琳", "慧", "雪", "玉珍", "美华", "彩云", "金凤", "兰英", "秀珍",
)  # fmt: skip
PRIMARY_GRADES = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级")
JUNIOR_GRADES = ("初一", "初二", "初三")
SENIOR_GRADES = ("高一", "高二", "高三")
# Household sizes 1-7; mean about 3.77 people, as 24,937 / 6,612.
SIZE_WEIGHTS = (6, 13, 20, 27, 19, 10, 5)


@dataclass(frozen=True)
class DemoSize:
    households: int
    townships_with_villages: tuple[str, ...]
    other_villages_per_township: int


SIZES: dict[str, DemoSize] = {
    "small": DemoSize(60, ("T06",), 1),
    "medium": DemoSize(600, tuple(code for code, _ in TOWNSHIPS), 3),
    "full": DemoSize(6612, tuple(code for code, _ in TOWNSHIPS), 3),
}
FULL_PEOPLE = 24937


def _short(township: str) -> str:
    return township.removesuffix("镇").removesuffix("乡")


class _Names:
    """Chinese names from surname and given-name lists, unique where it matters."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def person(self, sex: str, surname: str | None = None) -> str:
        given = GIVEN_MALE if sex == "男" else GIVEN_FEMALE
        return (surname or self.rng.choice(SURNAMES)) + self.rng.choice(given)


def _birth(rng: random.Random, age: int, school_year: int) -> date:
    """A birth date giving `age` on Sept 1 of the school year (the enrolment cut-off)."""
    last = date(school_year - age, 9, 1)
    return last - timedelta(days=rng.randint(0, 364))


def _schooling(
    rng: random.Random, age: int, township: str, village: str
) -> tuple[str | None, str | None, str | None, str | None]:
    """(stage, school, grade, status) for a child of `age` on Sept 1."""
    if age < 3:
        return None, None, None, "not_school_age"
    if age <= 5:
        if rng.random() < 0.7:
            return "preschool", f"{_short(township)}中心幼儿园", None, "enrolled"
        return None, None, None, "not_school_age"
    if age <= 11:
        status = "dropout" if rng.random() < 0.004 else "enrolled"
        return "primary", f"{village.removesuffix('村')}小学", PRIMARY_GRADES[age - 6], status
    if age <= 14:
        status = "dropout" if rng.random() < 0.012 else "enrolled"
        return "junior", f"{_short(township)}中学", JUNIOR_GRADES[age - 12], status
    if age <= 17:
        roll = rng.random()
        if roll < 0.6:
            return "senior", COUNTY_SCHOOLS[0][1], SENIOR_GRADES[age - 15], "enrolled"
        if roll < 0.8:
            return "vocational", COUNTY_SCHOOLS[2][1], SENIOR_GRADES[age - 15], "enrolled"
        return "junior", f"{_short(township)}中学", None, "graduated"
    roll = rng.random()
    if roll < 0.25:
        return "university", None, None, "enrolled"
    if roll < 0.75:
        return "senior", COUNTY_SCHOOLS[0][1], None, "graduated"
    return None, None, None, None


def _household_sizes(rng: random.Random, count: int, people: int) -> list[int]:
    """Sizes 1-7 drawn by weight, then nudged so they add up to exactly `people`."""
    sizes = rng.choices(range(1, 8), weights=SIZE_WEIGHTS, k=count)
    total = sum(sizes)
    while total != people:
        i = rng.randrange(count)
        if total < people and sizes[i] < 7:
            sizes[i] += 1
            total += 1
        elif total > people and sizes[i] > 1:
            sizes[i] -= 1
            total -= 1
    return sizes


def _members(
    rng: random.Random,
    names: _Names,
    code: str,
    size: int,
    township: str,
    village: str,
    school_year: int,
) -> tuple[str, list[Row]]:
    """The people of one household; returns (head name, member rows)."""
    used: set[str] = set()

    def unique(sex: str, surname: str | None) -> str:
        for _ in range(50):
            name = names.person(sex, surname)
            if name not in used:
                used.add(name)
                return name
        name = names.person(sex, surname) + str(len(used))
        used.add(name)
        return name

    rows: list[Row] = []

    def add(name: str, sex: str, age: int, child: bool) -> None:
        stage = school = grade = status = None
        if child:
            stage, school, grade, status = _schooling(rng, age, township, village)
        rows.append(
            {
                "household_code": code,
                "name": name,
                "sex": sex,
                "birth_date": _birth(rng, age, school_year),
                "stage": stage,
                "school": school,
                "grade": grade,
                "status": status,
            }
        )

    head_sex = "男" if rng.random() < 0.85 else "女"
    head_age = rng.randint(28, 68)
    surname = rng.choice(SURNAMES)
    head = unique(head_sex, surname)
    add(head, head_sex, head_age, child=False)
    slots = size - 1
    if slots and rng.random() < 0.85:
        spouse_sex = "女" if head_sex == "男" else "男"
        add(unique(spouse_sex, None), spouse_sex, max(20, head_age + rng.randint(-5, 5)), False)
        slots -= 1
    if slots >= 2 and head_age <= 60 and rng.random() < 0.3:
        elder_sex = rng.choice(("男", "女"))
        add(unique(elder_sex, surname), elder_sex, min(95, head_age + rng.randint(22, 30)), False)
        slots -= 1
    oldest_child = max(0, min(22, head_age - 20))
    for _ in range(slots):
        sex = rng.choice(("男", "女"))
        age = rng.randint(0, oldest_child)
        add(unique(sex, surname), sex, age, child=age < 18 or rng.random() < 0.6)
    return head, rows


def build_demo_tables(size: str = "small", seed: int = 2017, *, school_year: int = 2017) -> Tables:
    """The demo county as roster tables (same names/columns as an import); deterministic.

    `school_year` is the year whose Sept 1 fixes the children's ages and grades.
    """
    if size not in SIZES:
        raise ValueError(f"unknown demo size {size!r}; use one of {sorted(SIZES)}")
    spec = SIZES[size]
    rng = random.Random(f"{seed}:{size}")
    names = _Names(rng)
    township_names = dict(TOWNSHIPS)

    # Townships and villages.
    townships: list[Row] = [{"code": c, "name": n} for c, n in TOWNSHIPS]
    villages: list[Row] = []
    others = iter(OTHER_VILLAGE_NAMES)
    for t_code in spec.townships_with_villages:
        poor = POOR_VILLAGES.get(t_code, ())
        village_names = [(n, True) for n in poor]
        village_names += [(next(others), False) for _ in range(spec.other_villages_per_township)]
        for i, (v_name, is_poor) in enumerate(village_names, start=1):
            villages.append(
                {
                    "code": f"V{t_code[1:]}{i:02d}",
                    "name": v_name,
                    "township_code": t_code,
                    "poor": is_poor,
                }
            )
    poor_villages = [v for v in villages if v["poor"]]

    # Units: sections, the office, central schools, county schools.
    units: list[Row] = [
        {"code": c, "name": n, "kind": "section", "township_code": None} for c, n in SECTIONS
    ]
    units.append({"code": OFFICE[0], "name": OFFICE[1], "kind": "office", "township_code": None})
    for t_code in spec.townships_with_villages:
        units.append(
            {
                "code": f"ZX{t_code[1:]}",
                "name": f"{township_names[t_code]}中心学校",
                "kind": "central_school",
                "township_code": t_code,
            }
        )
    county_schools = COUNTY_SCHOOLS if size != "small" else COUNTY_SCHOOLS[:1]
    units += [
        {"code": c, "name": n, "kind": "school", "township_code": SEAT} for c, n in county_schools
    ]
    unit_villages: list[Row] = [
        {"unit_code": u["code"], "village_code": poor_villages[i % len(poor_villages)]["code"]}
        for i, u in enumerate(units)
    ]

    # Households, grouped by village (poor villages weigh three times as much).
    weights = [3 if v["poor"] else 1 for v in villages]
    per_village = [1] * len(villages)
    for i in rng.choices(range(len(villages)), weights=weights, k=spec.households - len(villages)):
        per_village[i] += 1
    people = round(spec.households * FULL_PEOPLE / SIZES["full"].households)
    sizes = iter(_household_sizes(rng, spec.households, people))
    households: list[Row] = []
    members: list[Row] = []
    for village, count in zip(villages, per_village, strict=True):
        t_name = township_names[str(village["township_code"])]
        for n in range(1, count + 1):
            code = f"H{str(village['code'])[1:]}{n:03d}"
            household_size = next(sizes)
            head, rows = _members(
                rng, names, code, household_size, t_name, str(village["name"]), school_year
            )
            households.append(
                {
                    "code": code,
                    "village_code": village["code"],
                    "head_name": head,
                    "size": household_size,
                    "status": "exited" if rng.random() < 0.5 else "poor",
                }
            )
            members += rows

    _mark_schooling_cases(members, households, villages, school_year)

    # Cadres: every unit has a head and cadres; the office also has supervisors and an admin.
    holders_needed = max(2 * len(units) + 2, round(spec.households / 5.5))
    per_unit = {str(u["code"]): 2 for u in units}
    per_unit[PERSONA_UNIT] += 2
    unit_weights = {"section": 1, "office": 1, "central_school": 4, "school": 3}
    unit_codes = list(per_unit)
    kinds = [unit_weights[str(u["kind"])] for u in units]
    for code in rng.choices(unit_codes, weights=kinds, k=holders_needed - sum(per_unit.values())):
        per_unit[code] += 1

    cadres: list[Row] = []
    holders: list[str] = []
    next_number = 6

    def new_cadre(code: str, unit: str, role: str) -> None:
        sex = rng.choice(("男", "女"))
        phone = f"1{rng.choice(('38', '39', '58', '87', '51'))}{rng.randrange(10**8):08d}"
        cadres.append({"code": code, "name": names.person(sex), "unit_code": unit, "role": role,
                       "phone": phone})  # fmt: skip

    for unit in unit_codes:
        for i in range(per_unit[unit]):
            if unit == PERSONA_UNIT and i < 2:
                code = DEMO_PERSONAS["unit_head"] if i == 0 else DEMO_PERSONAS["cadre"]
            else:
                code = f"C{next_number:04d}"
                next_number += 1
            new_cadre(code, unit, "unit_head" if i == 0 else "cadre")
            holders.append(code)
    for code in SUPERVISOR_CODES:
        new_cadre(code, OFFICE[0], "supervisor")
    new_cadre(DEMO_PERSONAS["admin"], OFFICE[0], "admin")
    cadres.sort(key=lambda c: str(c["code"]))

    # Pairings: the persona holds exactly 5; everyone else 3-8, dealt in village order.
    quota = {code: 3 for code in holders}
    quota[DEMO_PERSONAS["cadre"]] = PERSONA_HOUSEHOLDS
    spare = spec.households - sum(quota.values())
    open_holders = [c for c in holders if c != DEMO_PERSONAS["cadre"]]
    while spare > 0:
        code = rng.choice(open_holders)
        quota[code] += 1
        spare -= 1
        if quota[code] == 8:
            open_holders.remove(code)
    pairings: list[Row] = []
    dealt = iter(households)
    for code in holders:
        for _ in range(quota[code]):
            pairings.append({"cadre_code": code, "household_code": next(dealt)["code"]})
    _name_school_persona(cadres, pairings, households, villages, units)

    return {
        "townships": townships,
        "villages": villages,
        "units": units,
        "cadres": cadres,
        "households": households,
        "members": members,
        "pairings": pairings,
        "unit_villages": unit_villages,
    }


def _name_school_persona(
    cadres: list[Row],
    pairings: list[Row],
    households: list[Row],
    villages: list[Row],
    units: list[Row],
) -> None:
    """Give the head of the central school that the cadre persona's dropout reports go to the
    fixed persona code, swapping codes with its holder; nothing else of the county changes."""
    first = next(p for p in pairings if p["cadre_code"] == DEMO_PERSONAS["cadre"])
    village = next(h["village_code"] for h in households if h["code"] == first["household_code"])
    township = next(v["township_code"] for v in villages if v["code"] == village)
    school = next(
        u["code"] for u in units if u["kind"] == "central_school" and u["township_code"] == township
    )
    head = next(c for c in cadres if c["unit_code"] == school and c["role"] == "unit_head")
    swap = {str(head["code"]): DEMO_PERSONAS["central_school"]}
    swap[DEMO_PERSONAS["central_school"]] = str(head["code"])
    for row in cadres:
        row["code"] = swap.get(str(row["code"]), row["code"])
    for row in pairings:
        row["cadre_code"] = swap.get(str(row["cadre_code"]), row["cadre_code"])
    cadres.sort(key=lambda c: str(c["code"]))


# In each township with poor villages, the n-th enrolled child of compulsory age (in roster
# order) is marked: a few suspected dropouts and one dropout, so /schooling shows real work
# and at least one village below threshold. Deterministic and independent of the rng.
SUSPECTED_AT = (3, 11, 19)
DROPOUT_AT = (7,)


def _mark_schooling_cases(
    members: list[Row], households: list[Row], villages: list[Row], school_year: int
) -> None:
    poor_village = {str(v["code"]): str(v["township_code"]) for v in villages if v["poor"]}
    township_of = {
        str(h["code"]): poor_village[str(h["village_code"])]
        for h in households
        if str(h["village_code"]) in poor_village
    }
    seen: dict[str, int] = {}
    for member in members:
        township = township_of.get(str(member["household_code"]))
        birth = member["birth_date"]
        if township is None or member["status"] != "enrolled" or not isinstance(birth, date):
            continue
        if expected_stage(birth, school_year) is None:  # not of compulsory-school age
            continue
        seen[township] = seen.get(township, 0) + 1
        if seen[township] in SUSPECTED_AT:
            member["status"] = "suspected_dropout"
        elif seen[township] in DROPOUT_AT:
            member["status"] = "dropout"


async def load_demo(
    sessionmaker: async_sessionmaker[AsyncSession],
    size: str,
    clock: Clock,
    tz: ZoneInfo,
    *,
    seed: int = 2017,
    show_progress: bool = False,
) -> ImportSummary:
    """Build the demo (children's ages fit today's school year in the plan's zone), import it.

    Its pairings are held from the start of the year (in the plan's zone), not from the
    moment of loading: the year's past quarters have households to count."""
    today = local_today(clock, tz)
    school_year = school_year_of(today)
    tables = await asyncio.to_thread(build_demo_tables, size, seed, school_year=school_year)
    held_from = FixedClock(min(clock.now(), datetime(today.year, 1, 1, tzinfo=tz)))
    return await import_tables(sessionmaker, tables, clock=held_from, show_progress=show_progress)
