"""Counties of one deployment, from the command line and at the database: each county's
commands reach its own schema only, a command without --tenant is refused once counties
exist, bad names are refused naming the rule, and a statement that does not go through a
county's session factory finds no table at all (the boundary fails closed)."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import ProgrammingError

from domain.tenancy import TenantRefused
from storage.models import Household, HouseholdVisit
from storage.tenancy import (
    adopt_deployment_rows,
    county_sessionmaker,
    find_county,
    make_county_engine,
)
from storage.token_vault import new_key
from tests.integration.test_cli import run
from tests.postgres import database_url, pg_admin

COUNTIES = {
    "zhenxiong": ("镇雄县", "云南省/昭通市", "555001:county-a-token"),
    "weixin": ("威信县", "云南省/昭通市", "555002:county-b-token"),
}


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty PostgreSQL database of its own (the registry must not leak into others)."""
    name = f"cadrebot_tenancy_{secrets.token_hex(4)}"
    try:
        asyncio.run(asyncio.wait_for(pg_admin(f'CREATE DATABASE "{name}"'), timeout=10))
    except Exception as error:  # noqa: BLE001 - no server: skipped, with the reason
        pytest.skip(f"PostgreSQL unreachable: {error!r}")
    monkeypatch.chdir(tmp_path)
    for variable in ("BOT_TOKEN", "CADREBOT_TIMEZONE", "CADREBOT_LOCALE"):
        monkeypatch.delenv(variable, raising=False)
    url = database_url(name)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CADREBOT_TOKEN_KEYS", new_key())  # tokens stored encrypted
    try:
        yield url
    finally:
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _add(capsys: pytest.CaptureFixture[str], tmp_path: Path, slug: str) -> tuple[int, str, str]:
    name, region, token = COUNTIES[slug]
    token_file = tmp_path / f"{slug}.token"
    token_file.write_text(token + "\n", encoding="utf-8")
    return run(
        capsys, "tenant", "add", slug, "--name", name, "--region", region,
        "--token-file", str(token_file),
    )  # fmt: skip


def _compliance(capsys: pytest.CaptureFixture[str], slug: str) -> dict[str, Any]:
    code, out, err = run(capsys, "--tenant", slug, "report", "compliance")
    assert code == 0, err
    return dict(json.loads(out))


def test_each_county_reaches_its_own_schema_only(
    deployment: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for slug in COUNTIES:
        code, out, err = _add(capsys, tmp_path, slug)
        assert code == 0, err
        assert f"schema county_{slug}" in out and "bot id 55500" in out
    code, out, _ = run(capsys, "tenant", "list")
    assert code == 0
    assert "zhenxiong\t镇雄县\t云南省/昭通市\tbot 555001" in out
    assert "county-a-token" not in out  # the token is never printed

    code, _, err = run(capsys, "--tenant", "zhenxiong", "demo", "--activity")
    assert code == 0, err
    loaded = _compliance(capsys, "zhenxiong")["total"]
    empty = _compliance(capsys, "weixin")["total"]
    assert loaded["assigned"] > 0 and loaded["covered"] > 0
    assert empty == {"assigned": 0, "covered": 0}

    # Without --tenant, a deployment of counties refuses rather than write into no county.
    code, _, err = run(capsys, "demo")
    assert code == 1
    assert "--tenant COUNTY" in err and "Rule: one county per command" in err

    # The same demo in the second county: same codes, its own rows, the first unchanged.
    assert run(capsys, "--tenant", "weixin", "demo")[0] == 0
    assert _compliance(capsys, "weixin")["total"]["assigned"] == loaded["assigned"]
    assert _compliance(capsys, "weixin")["total"]["covered"] == 0
    assert _compliance(capsys, "zhenxiong")["total"] == loaded

    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0
    assert "county weixin: schema is up to date" in out
    assert "county zhenxiong: schema is up to date" in out


def test_bad_counties_are_refused_naming_the_rule(
    deployment: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert _add(capsys, tmp_path, "zhenxiong")[0] == 0
    code, _, err = _add(capsys, tmp_path, "zhenxiong")
    assert code == 1 and "Rule: one county per short name and per bot" in err
    token_file = tmp_path / "t"
    token_file.write_text("555009:x", encoding="utf-8")
    refusals = {
        ("Bad-Slug", "甲县", "云南省"): "Rule: county short name",
        ("ok_slug", "甲县", "云南省//昭通市"): "Rule: region path",
        ("ok_slug", "\x00", "云南省"): "Rule: county name",
    }
    for (slug, name, region), rule in refusals.items():
        code, _, err = run(
            capsys, "tenant", "add", slug, "--name", name, "--region", region,
            "--token-file", str(token_file),
        )  # fmt: skip
        assert code == 1 and rule in err, err
    token_file.write_text("not a token", encoding="utf-8")
    code, _, err = run(
        capsys, "tenant", "add", "ok_slug", "--name", "甲县", "--region", "云南省",
        "--token-file", str(token_file),
    )  # fmt: skip
    assert code == 1 and "Rule: bot token" in err
    code, _, err = run(
        capsys, "tenant", "add", "ok_slug", "--name", "甲县", "--region", "云南省",
        "--token-file", str(tmp_path / "zhenxiong.token"), "--timezone", "Mars/Olympus",
    )  # fmt: skip
    assert code == 1 and "Rule: IANA time zone" in err
    code, _, err = run(capsys, "--tenant", "nosuch", "report", "compliance")
    assert code == 1 and "Rule: a registered county" in err
    code, out, _ = run(capsys, "tenant", "list")
    assert out.count("\n") == 1  # only zhenxiong was added


def test_sqlite_stays_one_county(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'one.sqlite3'}")
    token_file = tmp_path / "t"
    token_file.write_text("555001:x", encoding="utf-8")
    code, _, err = run(
        capsys, "tenant", "add", "a_county", "--name", "甲县", "--region", "云南省",
        "--token-file", str(token_file),
    )  # fmt: skip
    assert code == 1 and "Rule: counties on PostgreSQL" in err
    code, _, err = run(capsys, "--tenant", "a_county", "demo")
    assert code == 1 and "Rule: counties on PostgreSQL" in err


async def _boundary(url: str) -> tuple[list[str], int, int]:
    """Statements of one county's session, and what each county holds."""
    engine = make_county_engine(url)
    statements: list[str] = []
    event.listen(
        engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_a: statements.append(statement),
    )
    try:
        # Outside any county's factory, the bot's tables do not exist: it fails, not leaks.
        async with engine.connect() as connection:
            with pytest.raises(ProgrammingError, match="households"):
                await connection.execute(select(func.count()).select_from(Household))
        counts = []
        for slug in ("zhenxiong", "weixin"):
            sessions = county_sessionmaker(engine, await find_county(engine, slug))
            statements.clear()
            async with sessions() as session:
                visits = await session.scalar(select(func.count()).select_from(HouseholdVisit))
                households = (await session.scalars(select(Household).limit(3))).all()
                counts.append(int(visits or 0))
            assert households  # both counties hold the demo roster
            assert statements and all(f'"county_{slug}".' in s or f"county_{slug}." in s
                                      for s in statements)  # fmt: skip
            other = "weixin" if slug == "zhenxiong" else "zhenxiong"
            assert not any(other in s for s in statements)
        return statements, counts[0], counts[1]
    finally:
        await engine.dispose()


def test_a_county_session_names_its_schema_and_nothing_else_is_reachable(
    deployment: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for slug in COUNTIES:
        assert _add(capsys, tmp_path, slug)[0] == 0
    assert run(capsys, "--tenant", "zhenxiong", "demo", "--activity")[0] == 0
    assert run(capsys, "--tenant", "weixin", "demo")[0] == 0
    _, visits_a, visits_b = asyncio.run(_boundary(deployment))
    assert visits_a > 0 and visits_b == 0


def test_a_one_county_deployment_moves_into_its_first_county(
    deployment: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(capsys, "demo", "--activity")[0] == 0
    code, before, _ = run(capsys, "report", "compliance")
    assert code == 0
    code, out, err = _add(capsys, tmp_path, "zhenxiong")  # without --adopt: a new, empty one
    assert code == 0, err
    assert _compliance(capsys, "zhenxiong")["total"] == {"assigned": 0, "covered": 0}
    name, region, _token = COUNTIES["weixin"]
    token_file = tmp_path / "weixin.token"
    token_file.write_text(COUNTIES["weixin"][2], encoding="utf-8")
    code, out, err = run(
        capsys, "tenant", "add", "weixin", "--name", name, "--region", region,
        "--token-file", str(token_file), "--adopt",
    )  # fmt: skip
    assert code == 0, err
    assert "60 households" in out and "household_visits" in out
    assert json.loads(before) == _compliance(capsys, "weixin")
    # The ids go on after the copied rows: a bigger roster adds households without clashes.
    code, out, err = run(capsys, "--tenant", "weixin", "demo", "--size", "medium")
    assert code == 0, err
    assert _compliance(capsys, "weixin")["total"]["assigned"] > 60
    assert _compliance(capsys, "zhenxiong")["total"]["assigned"] == 0
    # Rows move only into an empty county: a second move is refused and changes nothing.
    with pytest.raises(TenantRefused, match="tenant_adopt_not_empty"):
        asyncio.run(_adopt_again(deployment, "weixin"))
    assert _compliance(capsys, "weixin")["total"]["assigned"] > 60


async def _adopt_again(url: str, slug: str) -> None:
    engine = make_county_engine(url)
    try:
        await adopt_deployment_rows(engine, await find_county(engine, slug))
    finally:
        await engine.dispose()
