"""Optional coordinates in the roster (纬度/经度), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import FixedClock
from services.roster_import import RosterImportError, import_roster
from storage.models import Household, Village

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _write_roster(folder: Path, household_latitude: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "乡镇.csv").write_text("编码,名称\nT1,栋川镇\n", encoding="utf-8")
    (folder / "村.csv").write_text(
        "编码,名称,乡镇编码,纬度,经度\nV1,大村,T1,25.5051,101.2402\nV2,小村,T1,,\n",
        encoding="utf-8",
    )
    (folder / "农户.csv").write_text(
        "code,village_code,head_name,latitude,longitude\n"
        f"H1,V1,户主一,{household_latitude},101.2411\nH2,V2,户主二,,\n",
        encoding="utf-8",
    )


async def test_coordinates_import_with_chinese_headers(
    sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    _write_roster(tmp_path / "roster", "25.5062")
    await import_roster(sessionmaker, tmp_path / "roster", clock=FixedClock(T0))
    async with sessionmaker() as session:
        villages = dict(
            (c, (lat, lon))
            for c, lat, lon in await session.execute(
                select(Village.code, Village.latitude, Village.longitude)
            )
        )
        households = dict(
            (c, (lat, lon))
            for c, lat, lon in await session.execute(
                select(Household.code, Household.latitude, Household.longitude)
            )
        )
    assert villages == {"V1": (25.5051, 101.2402), "V2": (None, None)}
    assert households == {"H1": (25.5062, 101.2411), "H2": (None, None)}


async def test_an_impossible_latitude_is_reported_by_row(
    sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    _write_roster(tmp_path / "roster", "125.5")
    with pytest.raises(RosterImportError) as refused:
        await import_roster(sessionmaker, tmp_path / "roster", clock=FixedClock(T0))
    assert any(e.column == "latitude" and "out of range" in e.reason for e in refused.value.errors)
    async with sessionmaker() as session:
        assert (await session.execute(select(Household))).first() is None  # all or nothing
