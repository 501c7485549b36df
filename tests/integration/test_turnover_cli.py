"""`cadrebot reassign` and `cadrebot report orphans`, in-process on a temporary SQLite file."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli import main
from domain.clock import FixedClock, SystemClock, local_today
from domain.errors import PermissionRefused
from domain.periods import Quarter
from storage.db import open_database
from storage.models import Cadre, Household, HouseholdVisit, Pairing, Township, Unit, Village

SHANGHAI = ZoneInfo("Asia/Shanghai")
SINCE = datetime(2020, 1, 1, tzinfo=UTC)
# Household -> its holder at the start (None: nobody). C3 is inactive (left the bureau).
HOLDERS = {"H1": "C1", "H2": "C1", "H3": "C1", "H4": "C2", "H5": "C3", "H6": None}


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'turnover.sqlite3'}"
    for name in ("BOT_TOKEN", "CADREBOT_TIMEZONE", "CADREBOT_LOCALE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    asyncio.run(_seed(url))
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def _seed(url: str) -> None:
    async with open_database(url) as sessionmaker, sessionmaker() as session, session.begin():
        township = Township(code="T1", name="栋川镇")
        session.add(township)
        await session.flush()
        village = Village(code="V1", name="大村", township_id=township.id)
        unit = Unit(code="JYG", name="教育股", kind="section")
        session.add_all([village, unit])
        await session.flush()
        cadres = {
            code: Cadre(code=code, name=name, unit_id=unit.id, active=active)
            for code, name, active in (
                ("C1", "李明", True),
                ("C2", "王芳", True),
                ("C3", "赵强", False),
                ("C4", "陈新", True),
            )
        }
        session.add_all(cadres.values())
        await session.flush()
        for number, (code, holder) in enumerate(HOLDERS.items(), 1):
            household = Household(code=code, village_id=village.id, head_name=f"户主{number}")
            session.add(household)
            await session.flush()
            if holder:
                session.add(
                    Pairing(cadre_id=cadres[holder].id, household_id=household.id, since=SINCE)
                )


async def _pairings(url: str) -> list[tuple[str, str, bool]]:
    """(household, cadre, open) of every pairing ever, in order of creation."""
    async with open_database(url) as sessionmaker, sessionmaker() as session:
        rows = await session.execute(
            select(Household.code, Cadre.code, Pairing.until.is_(None))
            .select_from(Pairing)
            .join(Household, Household.id == Pairing.household_id)
            .join(Cadre, Cadre.id == Pairing.cadre_id)
            .order_by(Pairing.id)
        )
        return [(h, c, bool(o)) for h, c, o in rows.all()]


def holders(url: str) -> dict[str, str]:
    return {h: c for h, c, is_open in asyncio.run(_pairings(url)) if is_open}


async def _visit(url: str, household: str, cadre: str, day: date) -> None:
    async with open_database(url) as sessionmaker, sessionmaker() as session, session.begin():
        household_id = (
            await session.execute(select(Household.id).where(Household.code == household))
        ).scalar_one()
        cadre_id = (await session.execute(select(Cadre.id).where(Cadre.code == cadre))).scalar_one()
        session.add(
            HouseholdVisit(
                household_id=household_id,
                cadre_id=cadre_id,
                visit_date=day,
                reported_at=datetime.now(UTC),
            )
        )


async def _visit_cadres(url: str) -> list[tuple[str, str]]:
    async with open_database(url) as sessionmaker, sessionmaker() as session:
        rows = await session.execute(
            select(Household.code, Cadre.code)
            .select_from(HouseholdVisit)
            .join(Household, Household.id == HouseholdVisit.household_id)
            .join(Cadre, Cadre.id == HouseholdVisit.cadre_id)
            .order_by(HouseholdVisit.id)
        )
        return [(h, c) for h, c in rows.all()]


def test_reassign_all_keeps_history(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(_visit(database, "H2", "C1", local_today(SystemClock(), SHANGHAI)))
    code, out, err = run(capsys, "reassign", "--from", "C1", "--to", "C2")
    assert code == 0, err
    assert out.startswith("moved 3 households from C1 李明 to C2 王芳")
    assert holders(database) == {"H1": "C2", "H2": "C2", "H3": "C2", "H4": "C2", "H5": "C3"}
    pairings = asyncio.run(_pairings(database))
    # The old pairings stay, closed, with their cadre; the new ones are open.
    assert [p for p in pairings if p[1] == "C1"] == [
        ("H1", "C1", False),
        ("H2", "C1", False),
        ("H3", "C1", False),
    ]
    assert len(pairings) == 5 + 3
    assert asyncio.run(_visit_cadres(database)) == [("H2", "C1")]


def test_reassign_only_listed_households(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "reassign", "--from", "C1", "--to", "C4", "--households", "H3")
    assert code == 0, err
    assert out.startswith("moved 1 household from C1")
    assert "  H3" in out.splitlines()
    assert holders(database) == {"H1": "C1", "H2": "C1", "H3": "C4", "H4": "C2", "H5": "C3"}


def test_households_of_an_inactive_cadre_can_move(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "reassign", "--from", "C3", "--to", "C4")
    assert code == 0, err
    assert holders(database)["H5"] == "C4"


REFUSAL_WORDS = {
    "unknown_cadre": "No active cadre has the code",
    "inactive_cadre": "is no longer active",
    "reassign_same_cadre": "already holds these households",
    "not_held_by_from": "does not hold",
    "nothing_to_reassign": "holds no households to move",
}


@pytest.mark.parametrize(
    ("argv", "reason", "detail"),
    [
        (["--from", "NOBODY", "--to", "C2"], "unknown_cadre", "NOBODY"),
        (["--from", "C1", "--to", "NOBODY"], "unknown_cadre", "NOBODY"),
        (["--from", "C1", "--to", "C3"], "inactive_cadre", "C3"),
        (["--from", "C1", "--to", "C1"], "reassign_same_cadre", "C1"),
        (["--from", "C1", "--to", "C2", "--households", "H1", "H4"], "not_held_by_from", "H4"),
        (["--from", "C1", "--to", "C2", "--households", "H9"], "not_held_by_from", "H9"),
        (["--from", "C4", "--to", "C2"], "nothing_to_reassign", "C4"),
    ],
)
def test_refusals_exit_non_zero_and_move_nothing(
    database: str,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    reason: str,
    detail: str,
) -> None:
    before = asyncio.run(_pairings(database))
    code, out, err = run(capsys, "reassign", *argv)
    assert code == 1
    # In words, as the bot says them (never the internal reason).
    assert err.startswith("refused: ") and REFUSAL_WORDS[reason] in err and detail in err
    assert reason not in err and "(Rule: " in err
    assert out == ""
    assert asyncio.run(_pairings(database)) == before


def _by_cadre(capsys: pytest.CaptureFixture[str], period: Quarter) -> dict[str, tuple[int, int]]:
    code, out, _ = run(capsys, "report", "compliance", "--period", str(period))
    assert code == 0
    return {r["cadre_code"]: (r["assigned"], r["covered"]) for r in json.loads(out)["by_cadre"]}


def test_coverage_counts_the_holder_at_period_end_across_a_reassign(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    today = local_today(SystemClock(), SHANGHAI)
    this_quarter = Quarter.containing(today)
    last_quarter = this_quarter.previous()
    asyncio.run(_visit(database, "H1", "C1", last_quarter.last_day))
    asyncio.run(_visit(database, "H1", "C1", today))  # C1's visit, then H1 moves to C2

    assert run(capsys, "reassign", "--from", "C1", "--to", "C2", "--households", "H1")[0] == 0

    # Last quarter ended before the move: H1 (visited) still counts for C1.
    assert _by_cadre(capsys, last_quarter) == {"C1": (3, 1), "C2": (1, 0), "C3": (1, 0)}
    # This quarter ends after it: H1 and its visit count for the new holder, C2.
    assert _by_cadre(capsys, this_quarter) == {"C1": (2, 0), "C2": (2, 1), "C3": (1, 0)}
    assert asyncio.run(_visit_cadres(database)) == [("H1", "C1"), ("H1", "C1")]


def test_orphans_in_every_format(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "report", "orphans")
    assert code == 0
    report = json.loads(out)
    assert report["count"] == 2
    assert [(h["household_code"], h["reason"], h["holder_code"]) for h in report["households"]] == [
        ("H5", "holder_inactive", "C3"),
        ("H6", "no_pairing", None),
    ]
    assert report["households"][1]["village_name"] == "大村"

    code, out, _ = run(capsys, "report", "orphans", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["household_code"], r["reason"]) for r in rows] == [
        ("H5", "holder_inactive"),
        ("H6", "no_pairing"),
    ]

    code, out, _ = run(capsys, "report", "orphans", "--format", "text")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("2 ")
    assert lines[1].startswith("H5") and "C3 赵强" in lines[1]
    assert lines[2].startswith("H6") and "no_pairing" in lines[2]


def test_a_reassign_adopts_the_orphans_of_a_departed_cadre(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "reassign", "--from", "C3", "--to", "C1")[0] == 0
    code, out, _ = run(capsys, "report", "orphans")
    assert code == 0
    assert [h["household_code"] for h in json.loads(out)["households"]] == ["H6"]


def test_text_format_is_for_orphans_only(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "report", "compliance", "--format", "text")
    assert code == 2 and "json or csv" in err


async def test_reassign_and_orphans_on_every_backend(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """The same services on SQLite and PostgreSQL (row locks, the partial unique index)."""
    from services.turnover import orphans, reassign

    url = sessionmaker.kw["bind"].url.render_as_string(hide_password=False)
    await _seed(url)
    clock = FixedClock(datetime(2026, 11, 28, 2, 0, tzinfo=UTC))
    async with sessionmaker() as session:
        moved = await reassign(session, "C1", "C2", ["H2", "H1", "H1"], clock)
    assert (moved.households, moved.at) == (("H1", "H2"), clock.now())
    async with sessionmaker() as session:
        with pytest.raises(PermissionRefused) as refused:
            await reassign(session, "C1", "C2", ["H1"], clock)
    assert refused.value.params == {"code": "C1", "households": "H1"}
    async with sessionmaker() as session:
        found = await orphans(session)
    assert [(o.household_code, o.reason) for o in found] == [
        ("H5", "holder_inactive"),
        ("H6", "no_pairing"),
    ]
    now_held = {h: c for h, c, is_open in await _pairings(url) if is_open}
    assert now_held == {"H1": "C2", "H2": "C2", "H3": "C1", "H4": "C2", "H5": "C3"}
