"""Roster import against real databases (SQLite and PostgreSQL, via Alembic schema)."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import FromClause, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import FixedClock
from services.demo.county import DEMO_PERSONAS, build_demo_tables, load_demo
from services.roster_import import RosterImportError, RowError, import_roster
from storage.models import Base, Cadre, Household, Member, Pairing, Township, Unit, Village

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "roster"
T0 = datetime(2017, 6, 1, 8, 0, tzinfo=UTC)

# Every table the roster fills.
TABLES = ("townships", "villages", "units", "cadres", "households", "members", "pairings",
          "unit_villages")  # fmt: skip

Maker = async_sessionmaker[AsyncSession]


async def _count(sessionmaker: Maker, rows: type[Base] | FromClause) -> int:
    async with sessionmaker() as session:
        return int((await session.scalar(select(func.count()).select_from(rows))) or 0)


async def _counts(sessionmaker: Maker) -> dict[str, int]:
    return {name: await _count(sessionmaker, Base.metadata.tables[name]) for name in TABLES}


def _copy_examples(tmp_path: Path) -> Path:
    folder = tmp_path / "roster"
    shutil.copytree(EXAMPLES, folder)
    return folder


def _folder_of(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    """A roster folder holding just these files (name: UTF-8 text)."""
    folder = tmp_path / name
    folder.mkdir()
    for file_name, text in files.items():
        (folder / file_name).write_text(text, encoding="utf-8")
    return folder


async def test_import_examples_folder(sessionmaker: Maker) -> None:
    summary = await import_roster(sessionmaker, EXAMPLES, clock=FixedClock(T0))
    assert summary.counts["households"].inserted == 8
    assert await _counts(sessionmaker) == {
        "townships": 2, "villages": 3, "units": 3, "cadres": 5, "households": 8,
        "members": 8, "pairings": 8, "unit_villages": 3,
    }  # fmt: skip
    async with sessionmaker() as session:
        head = (await session.execute(select(Cadre).where(Cadre.code == "C0002"))).scalar_one()
        assert (head.name, head.role, head.phone) == ("张国强", "unit_head", "13800000002")
        unit = (await session.execute(select(Unit).where(Unit.code == "ZX06"))).scalar_one()
        assert unit.kind == "central_school" and unit.township_id is not None
        child = (await session.execute(select(Member).where(Member.name == "李小军"))).scalar_one()
        assert (child.sex, child.birth_date, child.stage, child.status) == (
            "m", date(2018, 3, 20), "primary", "enrolled",
        )  # fmt: skip
        pairing = (await session.execute(select(Pairing).limit(1))).scalar_one()
        assert pairing.since == T0 and pairing.until is None


async def test_import_twice_changes_nothing(sessionmaker: Maker) -> None:
    await import_roster(sessionmaker, EXAMPLES, clock=FixedClock(T0))
    before = await _counts(sessionmaker)
    again = await import_roster(sessionmaker, EXAMPLES, clock=FixedClock(T0 + timedelta(days=3)))
    assert again.changed == 0
    assert again.counts["members"].unchanged == 8
    assert await _counts(sessionmaker) == before
    async with sessionmaker() as session:
        sinces = set((await session.execute(select(Pairing.since))).scalars())
    assert sinces == {T0}


async def test_update_changes_only_what_changed(sessionmaker: Maker, tmp_path: Path) -> None:
    await import_roster(sessionmaker, EXAMPLES, clock=FixedClock(T0))
    folder = _folder_of(
        tmp_path,
        "fix",
        {"households.csv": "code,village_code,head_name,size\nH0601001,V0601,李正荣,5\n"},
    )
    summary = await import_roster(sessionmaker, folder, clock=FixedClock(T0))
    assert (summary.counts["households"].updated, summary.counts["households"].inserted) == (1, 0)
    async with sessionmaker() as session:
        household = (
            await session.execute(select(Household).where(Household.code == "H0601001"))
        ).scalar_one()
    assert household.size == 5 and household.status == "poor"  # absent column kept


def _write_workbook(path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "乡镇"
    sheet.append(["编码", "名称"])
    sheet.append(["T06", "适中乡"])
    sheet = workbook.create_sheet("村")
    sheet.append(["编码", "名称", "乡镇编码", "是否贫困村"])
    sheet.append(["V0601", "大坝村", "T06", "是"])
    sheet = workbook.create_sheet("单位")
    sheet.append(["编码", "名称", "类型", "乡镇编码"])
    sheet.append(["ZX06", "适中乡中心学校", "中心校", "T06"])
    sheet = workbook.create_sheet("干部")
    sheet.append(["编码", "姓名", "单位编码", "角色", "手机"])
    sheet.append(["C0001", "李文华", "ZX06", "干部", 13800000001])  # a number cell
    sheet = workbook.create_sheet("农户")
    sheet.append(["户编码", "村编码", "户主姓名", "人口", "状态"])
    sheet.append(["H0601001", "V0601", "李正荣", 3, "未脱贫"])
    sheet = workbook.create_sheet("家庭成员")
    sheet.append(["户编码", "姓名", "性别", "出生日期", "学段", "学校", "年级", "状态"])
    sheet.append(["H0601001", "李正荣", "男", datetime(1978, 3, 12), None, None, None, None])  # noqa: DTZ001
    sheet.append(["H0601001", "李小军", "男", "2008/09/20", "小学", "大坝小学", "三年级", "在校"])
    sheet = workbook.create_sheet("挂包")
    sheet.append(["干部编码", "户编码"])
    sheet.append(["C0001", "H0601001"])
    sheet = workbook.create_sheet("单位挂村")
    sheet.append(["单位编码", "村编码"])
    sheet.append(["ZX06", "V0601"])
    workbook.create_sheet("说明").append(["this sheet is not a table"])
    workbook.save(path)


async def test_xlsx_workbook_round_trip(sessionmaker: Maker, tmp_path: Path) -> None:
    path = tmp_path / "roster.xlsx"
    _write_workbook(path)
    summary = await import_roster(sessionmaker, path, clock=FixedClock(T0))
    assert summary.skipped == ["sheet 说明"]
    assert summary.counts["members"].inserted == 2
    async with sessionmaker() as session:
        cadre = (await session.execute(select(Cadre))).scalar_one()
        assert cadre.phone == "13800000001"
        members = {m.name: m for m in (await session.execute(select(Member))).scalars()}
        assert members["李正荣"].birth_date == date(1978, 3, 12)
        assert members["李小军"].birth_date == date(2008, 9, 20)
        assert members["李小军"].stage == "primary"
        household = (await session.execute(select(Household))).scalar_one()
        assert household.status == "poor"
    again = await import_roster(sessionmaker, path, clock=FixedClock(T0))
    assert again.changed == 0


async def test_gb18030_csv(sessionmaker: Maker, tmp_path: Path) -> None:
    folder = tmp_path / "gbk"
    folder.mkdir()
    (folder / "乡镇.csv").write_bytes("编码,名称\r\nT08,大河口乡\r\n".encode("gb18030"))
    (folder / "村.csv").write_bytes(
        "编码,名称,乡镇编码,是否贫困村\r\nV0801,花椒园村,T08,否\r\n".encode("gb18030")
    )
    await import_roster(sessionmaker, folder, clock=FixedClock(T0))
    async with sessionmaker() as session:
        village = (await session.execute(select(Village))).scalar_one()
        township = (await session.execute(select(Township))).scalar_one()
    assert (township.name, village.name, village.poor) == ("大河口乡", "花椒园村", False)


async def test_bad_rows_are_all_reported_and_nothing_is_written(
    sessionmaker: Maker, tmp_path: Path
) -> None:
    folder = _copy_examples(tmp_path)
    (folder / "pairings.csv").unlink()  # they name households this test leaves out
    (folder / "households.csv").write_text(
        "code,village_code,head_name,size,status\n"
        "H0601001,V0601,李正荣,4,poor\n"
        "H0601002,V0601,,3,poor\n"  # row 3: blank head name
        "H0601003,V0601,字光明,many,poor\n",  # row 4: bad size
        encoding="utf-8",
    )
    (folder / "members.csv").write_text(
        "household_code,name,sex,birth_date\nH0601001,李正荣,男,1978-13-01\n",  # bad date
        encoding="utf-8",
    )
    with pytest.raises(RosterImportError) as caught:
        await import_roster(sessionmaker, folder, clock=FixedClock(T0))
    located = {(e.source, e.row, e.column) for e in caught.value.errors}
    assert located == {
        ("households.csv", 3, "head_name"),
        ("households.csv", 4, "size"),
        ("members.csv", 2, "birth_date"),
    }
    assert all(e.reason for e in caught.value.errors)
    assert set((await _counts(sessionmaker)).values()) == {0}


async def test_unknown_reference_rolls_back_everything(sessionmaker: Maker, tmp_path: Path) -> None:
    folder = _copy_examples(tmp_path)
    with (folder / "pairings.csv").open("a", encoding="utf-8") as handle:
        handle.write("C9999,H0601001\n")  # row 10: unknown cadre; H0601001 now twice
        handle.write("C0001,H9999999\n")  # row 11: unknown household
    with pytest.raises(RosterImportError) as caught:
        await import_roster(sessionmaker, folder, clock=FixedClock(T0))
    errors = caught.value.errors
    assert RowError("pairings.csv", 11, "household_code", "unknown household 'H9999999'") in errors
    assert any(e.row == 10 and "duplicate" in e.reason for e in errors)
    assert set((await _counts(sessionmaker)).values()) == {0}


async def test_reference_to_a_row_already_in_the_db(sessionmaker: Maker, tmp_path: Path) -> None:
    await import_roster(sessionmaker, EXAMPLES, clock=FixedClock(T0))
    folder = _folder_of(
        tmp_path,
        "more",
        {
            "households.csv": "code,village_code,head_name\nH0601009,V0601,新户主\n",
            "pairings.csv": "cadre_code,household_code\nC0001,H0601009\n",
        },
    )
    summary = await import_roster(sessionmaker, folder, clock=FixedClock(T0))
    assert summary.counts["pairings"].inserted == 1
    with pytest.raises(RosterImportError) as caught:
        (folder / "villages.csv").write_text("code,name,township_code\nV0699,新村,T99\n")
        await import_roster(sessionmaker, folder, clock=FixedClock(T0))
    assert caught.value.errors == [
        RowError("villages.csv", 2, "township_code", "unknown township 'T99'")
    ]


async def test_duplicate_code_is_an_error(sessionmaker: Maker, tmp_path: Path) -> None:
    folder = _copy_examples(tmp_path)
    with (folder / "cadres.csv").open("a", encoding="utf-8") as handle:
        handle.write("C0001,另一个人,JYG,干部,\r\n")
    with pytest.raises(RosterImportError) as caught:
        await import_roster(sessionmaker, folder, clock=FixedClock(T0))
    assert caught.value.errors == [
        # the column as the clerk sees it: cadres.csv has Chinese headers
        RowError("cadres.csv", 7, "编码", "duplicate code 'C0001' (first in row 2)")
    ]
    assert await _count(sessionmaker, Cadre) == 0


async def test_repairing_closes_the_old_pairing(sessionmaker: Maker, tmp_path: Path) -> None:
    await import_roster(sessionmaker, EXAMPLES, clock=FixedClock(T0))
    later = T0 + timedelta(days=30)
    folder = _folder_of(
        tmp_path, "move", {"挂包.csv": "干部编码,户编码\nC0006,H0601001\nC0001,H0601002\n"}
    )
    summary = await import_roster(sessionmaker, folder, clock=FixedClock(later))
    counts = summary.counts["pairings"]
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 1, 1)
    async with sessionmaker() as session:
        household = select(Household.id).where(Household.code == "H0601001").scalar_subquery()
        rows = (
            await session.execute(
                select(Cadre.code, Pairing.since, Pairing.until)
                .join(Cadre, Cadre.id == Pairing.cadre_id)
                .where(Pairing.household_id == household)
                .order_by(Pairing.id)
            )
        ).all()
    assert [tuple(r) for r in rows] == [("C0001", T0, later), ("C0006", later, None)]
    again = await import_roster(sessionmaker, folder, clock=FixedClock(later + timedelta(1)))
    assert again.changed == 0
    assert await _count(sessionmaker, Pairing) == 9


async def test_load_demo_small(sessionmaker: Maker) -> None:
    clock = FixedClock(datetime(2026, 5, 4, tzinfo=UTC))
    summary = await load_demo(sessionmaker, "small", clock, SHANGHAI)
    expected = build_demo_tables("small", school_year=2025)
    counts = await _counts(sessionmaker)
    assert counts == {table: len(rows) for table, rows in expected.items()}
    assert counts["households"] == 60
    assert summary.counts["members"].inserted == counts["members"]
    async with sessionmaker() as session:
        held = await session.scalar(
            select(func.count())
            .select_from(Pairing)
            .join(Cadre, Cadre.id == Pairing.cadre_id)
            .where(Cadre.code == DEMO_PERSONAS["cadre"], Pairing.until.is_(None))
        )
    assert held == 5
    assert (await load_demo(sessionmaker, "small", clock, SHANGHAI)).changed == 0


async def test_reference_to_a_bad_row_is_not_also_called_unknown(
    sessionmaker: Maker, tmp_path: Path
) -> None:
    folder = _copy_examples(tmp_path)
    text = (folder / "households.csv").read_text(encoding="utf-8")
    (folder / "households.csv").write_text(
        text.replace("H0601003,V0601,字光明,5,", "H0601003,V0601,字光明,0,"), encoding="utf-8"
    )
    with pytest.raises(RosterImportError) as caught:
        await import_roster(sessionmaker, folder, clock=FixedClock(T0))
    assert [(e.source, e.row, e.column) for e in caught.value.errors] == [
        ("households.csv", 4, "size")
    ]


async def test_full_demo_loads_and_reloads_unchanged(sessionmaker: Maker) -> None:
    """6,612 households and 24,937 people, as in the plan (speed is measured in bench/)."""
    clock = FixedClock(datetime(2026, 5, 4, tzinfo=UTC))
    summary = await load_demo(sessionmaker, "full", clock, SHANGHAI)
    assert summary.counts["households"].inserted == 6612
    assert await _count(sessionmaker, Member) == 24937
    assert await _count(sessionmaker, Pairing) == 6612
    assert (await load_demo(sessionmaker, "full", clock, SHANGHAI)).changed == 0


async def test_new_unit_needs_a_kind(sessionmaker: Maker, tmp_path: Path) -> None:
    await import_roster(sessionmaker, EXAMPLES, clock=FixedClock(T0))
    folder = _folder_of(
        tmp_path, "units", {"单位.csv": "编码,名称\nJYG,教育股（改）\nNEW,新单位\n"}
    )
    with pytest.raises(RosterImportError) as caught:
        await import_roster(sessionmaker, folder, clock=FixedClock(T0))
    assert caught.value.errors == [RowError("单位.csv", 3, "kind", "required for a new unit")]
    (folder / "单位.csv").write_text("编码,名称\nJYG,教育股（改）\n", encoding="utf-8")
    summary = await import_roster(sessionmaker, folder, clock=FixedClock(T0))
    assert summary.counts["units"].updated == 1
    async with sessionmaker() as session:
        unit = (await session.execute(select(Unit).where(Unit.code == "JYG"))).scalar_one()
    assert (unit.name, unit.kind) == ("教育股（改）", "section")
