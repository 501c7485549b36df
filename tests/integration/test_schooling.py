"""Schooling rates and the ministry's lists from the members table (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli import main
from domain.clock import FixedClock
from domain.errors import PermissionRefused
from domain.roles import Role
from domain.schooling import JUNIOR, PRIMARY
from domain.types import CadreId, UnitId
from services.actors import Actor
from services.demo.county import load_demo
from services.files.schooling import lists_workbook
from services.reports.schooling import county_rates, schooling_for, township_lists
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade_sync
from storage.models import Cadre, Household, Member, Township, Unit, Village
from tests.integration.cases import case_reached

SHANGHAI_TZ = ZoneInfo("Asia/Shanghai")
YEAR = 2026
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: school year 2026


def born(age: int) -> date:
    """A birth date giving `age` on 2026-09-01."""
    return date(YEAR - age, 3, 1)


# (household, village, [(name, sex, birth, status)]); the hand count is in _seed's docstring.
HOUSEHOLDS: list[tuple[str, str, list[tuple[str, str, date | None, str | None]]]] = [
    (
        "H1",
        "V1",
        [
            ("父亲", "m", born(40), None),
            ("小明", "m", born(7), "enrolled"),
            ("小红", "f", born(9), "suspected_dropout"),
            ("小刚", "m", born(10), "dropout"),
            ("小强", "m", born(13), "enrolled"),
            ("小丽", "f", born(12), "exempted"),
            ("无生日", "f", None, "dropout"),
        ],
    ),
    (
        "H2",
        "V1",
        [
            ("大宝", "m", born(6), "enrolled"),
            ("二宝", "f", born(8), "enrolled"),
            ("三宝", "m", born(11), "enrolled"),
            ("九月一日", "f", date(2020, 9, 1), "enrolled"),  # 6 on 2026-09-01: counted
            ("九月二日", "m", date(2020, 9, 2), "not_school_age"),  # 5 on 2026-09-01: not
        ],
    ),
    (
        "H3",
        "V2",
        [
            ("阿一", "m", born(14), "enrolled"),
            ("阿二", "f", born(12), "enrolled"),
            ("阿三", "m", born(14), "graduated"),
        ],
    ),
    (
        "H4",
        "V3",
        [
            ("甲", "m", born(6), "enrolled"),
            ("乙", "f", born(7), "enrolled"),
            ("丙", "m", born(9), "enrolled"),
            ("丁", "f", born(10), "enrolled"),
            ("戊", "m", born(13), "dropout"),
            ("己", "f", born(12), "enrolled"),
        ],
    ),
    ("H9", "V9", [("不在贫困村", "m", born(8), "dropout")]),
]


async def _seed(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Two townships; V9 is not a poor village (its children are not counted).

    Hand count, school year 2026 (ages on 2026-09-01):
    - V1 primary: 小明, 小红 (suspected: in school), 小刚 (dropout), 大宝, 二宝, 三宝, 九月一日
      = 7 children, 6 in school, 1 dropout -> enrolment 6/7 = 85.71%, dropout 1/7 = 14.29%.
    - V1 junior: 小强 enrolled, 小丽 exempted (left out) -> 1 child, 1 in school.
    - V2 junior: 阿一, 阿二 enrolled, 阿三 graduated -> 3 children, 2 in school = 66.66%.
    - V3 primary 4/4; junior 己 enrolled, 戊 dropout -> 2 children, 1 in school, 1 dropout.
    - 父亲 (40), 九月二日 (5), 无生日 (no birth date), V9's child: not counted.
    County primary 11 children, 10 in school (90.90%), dropouts 1/11 (9.10%);
    county junior 6 children, 4 in school (66.66%), dropouts 1/5 (20.00%).
    """
    async with sessionmaker() as session, session.begin():
        east = Township(code="T1", name="栋川镇")
        west = Township(code="T2", name="光禄镇")
        session.add_all([east, west])
        await session.flush()
        villages = {
            "V1": Village(code="V1", name="大村", township_id=east.id, poor=True),
            "V2": Village(code="V2", name="小村", township_id=east.id, poor=True),
            "V3": Village(code="V3", name="西村", township_id=west.id, poor=True),
            "V9": Village(code="V9", name="富村", township_id=west.id, poor=False),
        }
        session.add_all(villages.values())
        units = {
            "CS1": Unit(code="CS1", name="栋川中心校", kind="central_school", township_id=east.id),
            "CSX": Unit(code="CSX", name="无乡中心校", kind="central_school"),
            "JYG": Unit(code="JYG", name="教育股", kind="section"),
            "BGS": Unit(code="BGS", name="局办公室", kind="office"),
        }
        session.add_all(units.values())
        await session.flush()
        for code, village, members in HOUSEHOLDS:
            household = Household(
                code=code, village_id=villages[village].id, head_name=f"户主{code}"
            )
            session.add(household)
            await session.flush()
            session.add_all(
                Member(household_id=household.id, name=n, sex=s, birth_date=b, status=st)
                for n, s, b, st in members
            )
        return {code: unit.id for code, unit in units.items()}


def _actor(role: Role, unit_id: int) -> Actor:
    return Actor(CadreId(1), "X1", "某人", role, UnitId(unit_id), None)


async def test_county_rates_agree_with_the_hand_count(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await _seed(sessionmaker)
    async with sessionmaker() as session:
        rates = await county_rates(session, YEAR)
    primary, junior = rates.total.stages[PRIMARY], rates.total.stages[JUNIOR]
    assert (primary.children, primary.in_school, primary.dropouts, primary.suspected) == (
        11,
        10,
        1,
        1,
    )
    assert (primary.enrolment_percent, primary.dropout_percent) == (
        Decimal("90.90"),
        Decimal("9.10"),
    )
    assert (junior.children, junior.in_school, junior.dropouts, junior.exempted) == (6, 4, 1, 1)
    assert (junior.enrolment_percent, junior.dropout_percent) == (
        Decimal("66.66"),
        Decimal("20.00"),
    )
    villages = {v.place.code: v.stages for v in rates.villages}
    assert set(villages) == {"V1", "V2", "V3"}  # V9 is not poor
    assert (villages["V1"][PRIMARY].children, villages["V1"][PRIMARY].in_school) == (7, 6)
    assert villages["V1"][PRIMARY].enrolment_percent == Decimal("85.71")
    assert villages["V2"][JUNIOR].enrolment_percent == Decimal("66.66")
    assert villages["V3"][PRIMARY].failing() == ()
    named = {(s.place.code, s.stage, s.indicator) for s in rates.shortfalls}
    assert ("V3", PRIMARY, "enrolment") not in named
    assert {("V1", PRIMARY, "dropout"), ("V3", JUNIOR, "dropout"), ("T2", JUNIOR, "dropout")} <= (
        named
    )


async def test_township_lists_hold_the_three_lists(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await _seed(sessionmaker)
    async with sessionmaker() as session, session.begin():
        # 小刚's dropout case, reported by a cadre of some unit: its reason and start date
        # go into the lists.
        child = (await session.execute(select(Member).where(Member.name == "小刚"))).scalar_one()
        unit = Unit(code="RPT", name="报告单位", kind="section")
        session.add(unit)
        await session.flush()
        reporter = Cadre(code="R1", name="报告人", unit_id=unit.id, role="cadre")
        session.add(reporter)
        await session.flush()
        reported = datetime(2026, 9, 20, 2, tzinfo=UTC)
        session.add(
            case_reached(child, reporter.id, "work", date(2026, 9, 15), "confirmed", reported)
        )
    async with sessionmaker() as session:
        lists = await township_lists(session, YEAR)
    assert [(t.code, t.name) for t in lists] == [("T1", "栋川镇"), ("T2", "光禄镇")]
    east, west = lists
    # T1: 9 children in V1 (7 primary, 小强, 小丽 exempted) and 3 in V2.
    assert len(east.children) == 12
    assert [c.row.name for c in east.suspected] == ["小红"]
    assert [c.row.name for c in east.dropouts] == ["小刚"]
    assert [c.row.name for c in west.dropouts] == ["戊"]
    assert len(west.children) == 6

    data = await asyncio.to_thread(lists_workbook, east)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # written row by row (write-only)
        assert b't="inlineStr"' in archive.read("xl/worksheets/sheet1.xml")
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["适龄儿童", "疑似辍学", "辍学"]
    children = workbook["适龄儿童"]
    assert children.freeze_panes == "A2" and children["A1"].font.b
    assert children.column_dimensions["B"].width == 4 + 1.8 * 3  # 栋川镇
    assert children["H2"].number_format == "yyyy-mm-dd"
    header, *rows = list(workbook["适龄儿童"].iter_rows(values_only=True))
    assert header[:10] == (
        "序号", "乡镇", "村", "户编号", "户主", "姓名", "性别",
        "出生日期", "9月1日年龄", "应读学段",
    )  # fmt: skip
    assert len(rows) == 12
    [suspected] = list(workbook["疑似辍学"].iter_rows(min_row=2, values_only=True))
    assert suspected[1:7] == ("栋川镇", "大村", "H1", "户主H1", "小红", "女")
    birth = suspected[7]
    assert isinstance(birth, datetime) and birth.date() == date(2017, 3, 1)  # an Excel date
    assert suspected[8] == 9
    assert suspected[9] == "小学" and suspected[13] == "疑似辍学"
    assert suspected[14:] == (None, None)  # no dropout case was reported for her
    [dropout] = list(workbook["辍学"].iter_rows(min_row=2, values_only=True))
    assert dropout[5] == "小刚" and dropout[14] == "外出务工"
    since = dropout[15]
    assert isinstance(since, datetime) and since.date() == date(2026, 9, 15)


async def test_who_sees_what(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    units = await _seed(sessionmaker)
    clock = FixedClock(NOW)
    async with sessionmaker() as session:
        county = await schooling_for(
            session, _actor(Role.SUPERVISOR, units["BGS"]), clock, SHANGHAI_TZ
        )
    assert county.scope == "county" and county.rates.school_year == YEAR
    assert [t.place.code for t in county.rates.townships] == ["T1", "T2"]

    async with sessionmaker() as session:
        school = await schooling_for(session, _actor(Role.CADRE, units["CS1"]), clock, SHANGHAI_TZ)
    assert school.scope == "township" and school.rates.total.place.name == "栋川镇"
    assert [v.place.code for v in school.rates.villages] == ["V1", "V2"]
    assert [c.row.name for c in school.suspected] == ["小红"]
    assert [c.row.name for c in school.dropouts] == ["小刚"]

    for role, unit in ((Role.CADRE, "JYG"), (Role.UNIT_HEAD, "JYG"), (Role.CADRE, "CSX")):
        async with sessionmaker() as session:
            with pytest.raises(PermissionRefused) as refused:
                await schooling_for(session, _actor(role, units[unit]), clock, SHANGHAI_TZ)
        assert refused.value.reason == "schooling_not_allowed"


def test_cli_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`report schooling` as JSON, CSV and xlsx, and `report dropouts` per township."""
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    for name in ("BOT_TOKEN", "CADREBOT_TIMEZONE", "CADREBOT_LOCALE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    upgrade_sync(url)

    async def seed() -> None:
        engine = make_engine(url)
        try:
            await _seed(make_sessionmaker(engine))
        finally:
            await engine.dispose()

    asyncio.run(seed())
    capsys.readouterr()

    assert main(["report", "schooling", "--format", "json", "--year", "2026"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["school_year"] == 2026
    assert document["thresholds"]["primary"] == {"enrolment_min": "99.5", "dropout_max": "0.6"}
    county = {r["stage"]: r for r in document["rates"] if r["level"] == "county"}
    assert county["primary"]["children"] == 11 and county["primary"]["in_school"] == 10
    assert county["primary"]["enrolment_percent"] == "90.90"
    assert county["junior"]["dropout_percent"] == "20.00"
    below = {
        (r["village"] or r["township"] or "county", r["stage"]) for r in document["below_threshold"]
    }
    assert ("大村", "primary") in below and ("西村", "primary") not in below

    assert main(["report", "schooling", "--format", "csv", "--year", "2026"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("school_year,level,township_code")
    assert (
        "2026,village,T1,栋川镇,V1,大村,primary,7,6,1,1,0,0,85.71,14.29,99.5,0.6,enrolment dropout"
        in lines
    )

    assert (
        main(["report", "schooling", "--format", "xlsx", "--year", "2026", "--output", "r.xlsx"])
        == 0
    )
    workbook = load_workbook(tmp_path / "r.xlsx")
    assert workbook.sheetnames == ["2026学年入学率辍学率", "未达标"]
    first = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert first[0][:6] == ("层级", "乡镇编号", "乡镇", "村编号", "村", "学段")
    assert first[1][:8] == ("全县", None, None, None, None, "小学", 11, 10)

    assert (
        main(["report", "dropouts", "--format", "xlsx", "--year", "2026", "--output-dir", "lists"])
        == 0
    )
    out = capsys.readouterr().out
    assert "栋川镇 适龄儿童 12, 疑似辍学 1, 辍学 1" in out
    files = sorted(p.name for p in (tmp_path / "lists").iterdir())
    assert files == ["dropout-lists-2026-T1.xlsx", "dropout-lists-2026-T2.xlsx"]
    west = load_workbook(tmp_path / "lists" / "dropout-lists-2026-T2.xlsx")
    assert west.sheetnames == ["适龄儿童", "疑似辍学", "辍学"]
    dropouts = list(west["辍学"].iter_rows(min_row=2, values_only=True))
    assert [(r[2], r[5], r[9], r[13]) for r in dropouts] == [("西村", "戊", "初中", "辍学")]
    assert list(west["疑似辍学"].iter_rows(min_row=2, values_only=True)) == []

    assert main(["report", "dropouts", "--format", "csv"]) == 2  # the lists are workbooks


async def test_the_demo_county_has_cases_and_a_place_below_threshold(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """The sandbox's /schooling must show real work: suspected dropouts, a dropout, a shortfall."""
    await load_demo(sessionmaker, "small", FixedClock(NOW), SHANGHAI_TZ)
    async with sessionmaker() as session:
        rates = await county_rates(session, YEAR)
    total = rates.total.stages
    assert sum(f.suspected for f in total.values()) == 3  # SUSPECTED_AT in services.demo.county
    assert sum(f.dropouts for f in total.values()) >= 1
    assert any(s.place.level == "village" for s in rates.shortfalls)
    assert total[PRIMARY].children > 20
