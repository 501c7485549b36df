"""`cadrebot purge` on real files and real databases (SQLite and PostgreSQL): the copies of
visits dated before the retention's day go and their rows say no copy is kept, newer ones
stay; --dry-run removes nothing; nothing outside the evidence folder is ever removed (links
out of it are refused and reported); a file that cannot be removed is reported, the rest
done; old webhook update records go; --tenant purges one county's folder and schema only."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import SystemClock, local_today
from services.evidence import keep_photo_copies
from storage.db import open_database
from storage.evidence import attach_photos
from storage.models import (
    Cadre,
    Household,
    HouseholdVisit,
    ProcessedUpdate,
    UnitVillage,
    VillageVisit,
    VisitPhoto,
)
from storage.tenancy import open_county_database
from tests.integration.test_cli import EXAMPLES, SHANGHAI, run
from tests.integration.test_tenancy import COUNTIES, deployment  # noqa: F401 - a fixture
from tests.integration.test_tenancy import _add as add_county

TODAY = local_today(SystemClock(), SHANGHAI)
CUTOFF = TODAY - timedelta(days=730)  # the default retention's first kept day
# Household visits: (days ago, photos). Before the cutoff: 1000, 950 (its file deleted by
# hand), 731; kept: 730 (the cutoff day itself) and 10.
HOUSEHOLD_VISITS = ((1000, 2), (950, 1), (731, 1), (730, 1), (10, 1))
VILLAGE_DAYS_AGO = 900


@pytest.fixture(params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pg_database_url: str | None,
) -> str:
    """An empty database with the example roster, the evidence folder `evidence` (relative,
    as a deployment may set it), run from a temporary working folder."""
    monkeypatch.chdir(tmp_path)
    for name in ("BOT_TOKEN", "CADREBOT_TIMEZONE", "CADREBOT_EVIDENCE_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CADREBOT_UPDATE_LOG_RETENTION_DAYS", raising=False)
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'purge.sqlite3'}"
    else:
        if pg_database_url is None:
            pytest.skip("PostgreSQL unreachable")
        url = pg_database_url
        asyncio.run(_empty(url))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CADREBOT_EVIDENCE_DIR", "evidence")
    return url


async def _empty(url: str) -> None:
    async with open_database(url) as sessionmaker, sessionmaker() as session, session.begin():
        names = (
            await session.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename <> 'alembic_version'"
                )
            )
        ).scalars()
        await session.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))


@dataclass
class Seeded:
    """The copies written by the bot's own code, by how many days ago their visit was."""

    copies: dict[int, list[Path]]
    photo_ids: dict[int, list[int]]


async def seed(sessionmaker: async_sessionmaker[AsyncSession], folder: Path) -> Seeded:
    """Visits with photos, their copies kept by services.evidence (as the bot does after the
    commit), and webhook update records 10 and 3 days old."""
    now = datetime.now(UTC)
    photos = []
    async with sessionmaker() as session, session.begin():
        cadre = (await session.execute(select(Cadre).where(Cadre.code == "C0001"))).scalar_one()
        households = (await session.execute(select(Household).order_by(Household.code))).scalars()
        n = 0
        for household, (days_ago, count) in zip(households, HOUSEHOLD_VISITS, strict=False):
            day = TODAY - timedelta(days=days_ago)
            visit = HouseholdVisit(
                household_id=household.id, cadre_id=cadre.id, visit_date=day, reported_at=now
            )
            session.add(visit)
            await session.flush()
            for _ in range(count):
                n += 1
                photos += await attach_photos(
                    session, "household", visit.id, day, [(f"file-{n}", f"uniq{n}")], now
                )
        pairing = (await session.execute(select(UnitVillage).limit(1))).scalar_one()
        day = TODAY - timedelta(days=VILLAGE_DAYS_AGO)
        village_visit = VillageVisit(
            unit_id=pairing.unit_id,
            village_id=pairing.village_id,
            cadre_id=cadre.id,
            visit_date=day,
            reported_at=now,
        )
        session.add(village_visit)
        await session.flush()
        photos += await attach_photos(
            session, "village", village_visit.id, day, [("file-v", "uniqv")], now
        )
        for update_id, days_ago in ((1, 10), (2, 3)):
            session.add(
                ProcessedUpdate(
                    update_id=update_id,
                    chat_id=42,
                    outcome="done",
                    attempts=1,
                    claimed_at=now - timedelta(days=days_ago),
                )
            )

    async def fetch(file_id: str) -> bytes:  # the transport: Telegram's bytes of the photo
        return f"jpeg bytes of {file_id}".encode() * 10

    async with sessionmaker() as session:
        paths = await keep_photo_copies(session, fetch, folder, photos)
    seeded = Seeded({}, {})
    for photo, path in zip(photos, paths, strict=True):
        days_ago = (TODAY - photo.visit_date).days
        seeded.copies.setdefault(days_ago, []).append(path)
        seeded.photo_ids.setdefault(days_ago, []).append(photo.photo_id)
    return seeded


async def _seed_at(url: str, folder: Path) -> Seeded:
    async with open_database(url) as sessionmaker:
        return await seed(sessionmaker, folder)


async def saved_paths(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[int, str | None]:
    async with sessionmaker() as session:
        rows = await session.execute(select(VisitPhoto.id, VisitPhoto.saved_path))
        return {photo_id: path for photo_id, path in rows.all()}


async def update_ids(sessionmaker: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessionmaker() as session:
        return sorted((await session.execute(select(ProcessedUpdate.update_id))).scalars())


async def _state(url: str) -> tuple[dict[int, str | None], list[int]]:
    async with open_database(url) as sessionmaker:
        return await saved_paths(sessionmaker), await update_ids(sessionmaker)


def _month(days_ago: int) -> Path:
    day = TODAY - timedelta(days=days_ago)
    return Path("evidence") / f"{day:%Y}" / f"{day:%m}"


def test_purge_removes_the_copies_past_retention_and_says_what_it_removed(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "import", str(EXAMPLES))[0] == 0
    seeded = asyncio.run(_seed_at(database, Path("evidence")))
    assert len(seeded.copies[1000]) == 2 and all(p.is_file() for p in seeded.copies[1000])
    seeded.copies[950][0].unlink()  # gone already (by hand): its row is only forgotten
    orphan = _month(1000) / "household-999-nobodys.jpg"  # a copy whose row was never written
    orphan.write_bytes(b"x" * 100)
    notes = _month(1000) / "notes.txt"  # not a copy: left alone
    notes.write_text("kept", encoding="utf-8")
    recent_orphan = _month(10) / "household-998-recent.jpg"
    recent_orphan.write_bytes(b"y")
    past = [*seeded.copies[1000], *seeded.copies[731], *seeded.copies[VILLAGE_DAYS_AGO]]
    kept = [*seeded.copies[730], *seeded.copies[10]]
    past_bytes = sum(p.stat().st_size for p in past) + 100

    code, out, err = run(capsys, "purge", "--dry-run")
    assert code == 0, err
    assert f"photo copies of visits dated before {CUTOFF.isoformat()}" in out
    assert "(CADREBOT_EVIDENCE_RETENTION_DAYS=730)" in out
    assert f"would remove 5 files, {past_bytes:,} bytes" in out
    assert "(1 of them named by no photo row)" in out
    assert "5 photo rows would say that no copy is kept" in out
    assert "update log: would remove 1 processed update claimed before" in out
    assert out.rstrip().endswith("dry run: nothing was removed")
    assert all(p.is_file() for p in [*past, *kept, orphan, notes, recent_orphan])
    paths, updates = asyncio.run(_state(database))
    assert all(path is not None for path in paths.values()) and updates == [1, 2]

    code, out, err = run(capsys, "purge")
    assert code == 0, err
    assert f"removed 5 files, {past_bytes:,} bytes" in out
    assert "5 photo rows now say that no copy is kept" in out
    assert "update log: removed 1 processed update claimed before" in out
    assert "NOT removed" not in out and "dry run" not in out
    assert not any(p.exists() for p in [*past, orphan])
    assert all(p.is_file() for p in [*kept, notes, recent_orphan])
    paths, updates = asyncio.run(_state(database))
    forgotten = {
        photo_id
        for days_ago in (1000, 950, 731, VILLAGE_DAYS_AGO)
        for photo_id in seeded.photo_ids[days_ago]
    }
    assert {i for i, path in paths.items() if path is None} == forgotten
    assert {paths[i] for i in seeded.photo_ids[730] + seeded.photo_ids[10]} == {
        str(p) for p in kept
    }
    assert updates == [2]  # 3 days old: within the 7 days kept
    assert not _month(950).exists() and not _month(VILLAGE_DAYS_AGO).exists()  # emptied
    assert _month(1000).is_dir()  # it still holds notes.txt

    code, out, _ = run(capsys, "purge")  # again: nothing left to remove
    assert code == 0 and "removed 0 files, 0 bytes" in out and "0 photo rows" in out

    # Every copy: the first day of next month (the recent orphan's month is then past too).
    next_month = date(TODAY.year + TODAY.month // 12, TODAY.month % 12 + 1, 1)
    code, out, _ = run(capsys, "purge", "--before", next_month.isoformat())
    assert code == 0
    assert "(--before)" in out and "removed 3 files" in out  # 730, 10 and the recent orphan
    assert not any(p.exists() for p in [*kept, recent_orphan])
    paths, _ = asyncio.run(_state(database))
    assert all(path is None for path in paths.values())


def test_retention_off_keeps_evidence_and_a_bad_date_is_refused(
    database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(capsys, "import", str(EXAMPLES))[0] == 0
    seeded = asyncio.run(_seed_at(database, Path("evidence")))
    monkeypatch.setenv("CADREBOT_EVIDENCE_RETENTION_DAYS", "off")
    monkeypatch.setenv("CADREBOT_UPDATE_LOG_RETENTION_DAYS", "2")
    code, out, _ = run(capsys, "purge")
    assert code == 0
    assert "evidence: kept for good (CADREBOT_EVIDENCE_RETENTION_DAYS=0)" in out
    assert "update log: removed 2 processed updates" in out  # 10 and 3 days old: past 2
    assert all(p.is_file() for paths in seeded.copies.values() for p in paths)
    code, _, err = run(capsys, "purge", "--before", "2024-02-30")
    assert code == 2 and "--before '2024-02-30': write it as YYYY-MM-DD" in err
    monkeypatch.setenv("CADREBOT_UPDATE_LOG_RETENTION_DAYS", "1")  # inside Telegram's window
    code, _, err = run(capsys, "purge")
    assert code == 2 and "CADREBOT_UPDATE_LOG_RETENTION_DAYS" in err


async def _point_rows_outside(url: str, tricks: dict[int, str]) -> None:
    async with open_database(url) as sessionmaker, sessionmaker() as session, session.begin():
        for photo_id, path in tricks.items():
            await session.execute(
                update(VisitPhoto).where(VisitPhoto.id == photo_id).values(saved_path=path)
            )


def test_nothing_outside_the_evidence_folder_is_removed(
    database: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(capsys, "import", str(EXAMPLES))[0] == 0
    seeded = asyncio.run(_seed_at(database, Path("evidence")))
    outside = tmp_path / "outside"
    (outside / "01").mkdir(parents=True)
    secret, other = outside / "secret.jpg", outside / "other.jpg"
    secret.write_bytes(b"not the bot's")
    other.write_bytes(b"not the bot's either")
    in_year_link = outside / "01" / "household-5-x.jpg"
    in_year_link.write_bytes(b"reached through a linked year folder")
    # A copy replaced by a link to a file outside; a row pointing out of the folder by `..`;
    # a year folder that is a link to a folder outside.
    link = seeded.copies[1000][0]
    link.unlink()
    link.symlink_to(secret)
    traversal = "evidence/../outside/other.jpg"
    asyncio.run(_point_rows_outside(database, {seeded.photo_ids[1000][1]: traversal}))
    Path("evidence/1999").symlink_to(outside, target_is_directory=True)

    code, out, _ = run(capsys, "purge")
    assert code == 1  # something past retention stays: a timer's log must show it
    assert secret.read_bytes() == b"not the bot's"
    assert other.read_bytes() == b"not the bot's either"
    assert in_year_link.is_file() and Path("evidence/1999").is_symlink()
    assert link.is_symlink()  # refused, not unlinked either
    assert "NOT removed: 3 files" in out
    assert re.search(rf"{re.escape(str(link))}: a link out of the evidence folder", out)
    assert f"{traversal}: outside the evidence folder" in out
    assert "evidence/1999/01/household-5-x.jpg: outside the evidence folder" in out
    # 950, 731, the village's, and the copy of the row pointed away (named by no row now).
    assert "removed 4 files, " in out and "(1 of them named by no photo row)" in out
    paths, _ = asyncio.run(_state(database))
    assert paths[seeded.photo_ids[1000][0]] == str(link)  # refused: its row still says so
    assert paths[seeded.photo_ids[1000][1]] == traversal


def _unremovable(path: Path) -> Callable[[], None] | None:
    """Make `path` impossible to remove: its folder read-only (a user), or the file
    immutable (root ignores permissions); the undo, or None where neither can be done."""
    if os.geteuid() != 0:
        path.parent.chmod(0o500)
        return lambda: path.parent.chmod(0o700)
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if made.returncode != 0:
        return None
    return lambda: subprocess.run(["chattr", "-i", str(path)], check=False)


def test_a_file_that_cannot_be_removed_is_reported_and_the_rest_goes(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "import", str(EXAMPLES))[0] == 0
    seeded = asyncio.run(_seed_at(database, Path("evidence")))
    stuck = seeded.copies[731][0]
    undo = _unremovable(stuck)
    if undo is None:
        pytest.skip("neither a read-only folder nor chattr +i stops removal here")
    try:
        code, out, _ = run(capsys, "purge")
    finally:
        undo()
    assert code == 1
    assert f"NOT removed: 1 file\n    {stuck}: Operation not permitted" in out or (
        f"{stuck}: Permission denied" in out
    )
    assert stuck.is_file()
    assert not any(p.exists() for p in seeded.copies[1000] + seeded.copies[VILLAGE_DAYS_AGO])
    paths, updates = asyncio.run(_state(database))
    assert paths[seeded.photo_ids[731][0]] == str(stuck)  # still there, still named
    assert paths[seeded.photo_ids[1000][0]] is None
    assert updates == [2]


async def _seed_county(url: str, slug: str) -> Seeded:
    async with open_county_database(url, slug) as (sessionmaker, _):
        return await seed(sessionmaker, Path("evidence") / slug)


async def _county_state(url: str, slug: str) -> tuple[dict[int, str | None], list[int]]:
    async with open_county_database(url, slug) as (sessionmaker, _):
        return await saved_paths(sessionmaker), await update_ids(sessionmaker)


def test_purge_of_one_county_leaves_the_other_alone(
    deployment: str,  # noqa: F811 - the fixture
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CADREBOT_EVIDENCE_DIR", "evidence")
    seeded: dict[str, Seeded] = {}
    for slug in COUNTIES:
        assert add_county(capsys, tmp_path, slug)[0] == 0
        assert run(capsys, "--tenant", slug, "import", str(EXAMPLES))[0] == 0
        seeded[slug] = asyncio.run(_seed_county(deployment, slug))
    code, _, err = run(capsys, "purge")
    assert code == 1 and "--tenant COUNTY" in err  # which county's? refused

    code, out, err = run(capsys, "--tenant", "zhenxiong", "purge")
    assert code == 0, err
    assert "evidence in evidence/zhenxiong:" in out and "removed 5 files" in out
    assert not any(p.exists() for p in seeded["zhenxiong"].copies[1000])
    assert all(p.is_file() for p in seeded["weixin"].copies[1000])
    paths, updates = asyncio.run(_county_state(deployment, "zhenxiong"))
    assert sum(path is None for path in paths.values()) == 5 and updates == [2]
    paths, updates = asyncio.run(_county_state(deployment, "weixin"))
    assert None not in paths.values() and updates == [1, 2]


def test_purge_never_imports_aiogram(tmp_path: Path) -> None:
    """An admin command that does not talk to Telegram stays light (CONTRIBUTING)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'light.sqlite3'}",
        "CADREBOT_EVIDENCE_DIR": str(tmp_path / "evidence"),
    }
    script = (
        "import sys\nfrom bot.cli import main\ncode = main(['purge'])\n"
        "assert 'aiogram' not in sys.modules, 'purge imported aiogram'\nsys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "update log: removed 0 processed updates" in done.stdout
