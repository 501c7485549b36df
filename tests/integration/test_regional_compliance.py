"""`cadrebot report compliance --region`: a region's figures are the exact sums of its
counties' own reports (`--tenant COUNTY report compliance`), and only its counties'.

PostgreSQL only (counties are schemas); in-process, on a throw-away database with four
counties: two in 云南省/昭通市 with different demo activity, one in 云南省/曲靖市 with a
roster but no visits, one in 贵州省/毕节市 with nothing at all and a formula for a name.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from domain.clock import SystemClock, local_today
from domain.periods import Quarter
from domain.tenancy import TenantRefused
from services.reports.regional import regional_compliance
from storage.tenancy import open_county_engine
from tests.integration.test_cli import SHANGHAI
from tests.postgres import database_url, pg_admin

# slug -> (name, region, demo arguments; None: no roster at all)
COUNTIES: dict[str, tuple[str, str, list[str] | None]] = {
    "zhena": ("甲县", "云南省/昭通市", ["demo", "--activity"]),
    "zhenb": ("乙县", "云南省/昭通市", ["demo", "--size", "medium", "--activity"]),
    "qujc": ("丙县", "云南省/曲靖市", ["demo"]),
    "bijd": ("=1+2", "贵州省/毕节市", None),
}
SECTIONS = ("households", "village_visits", "ledgers")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The counties registered and seeded through the CLI, as an operator would."""
    name = f"cadrebot_test_region_{secrets.token_hex(4)}"
    try:
        asyncio.run(asyncio.wait_for(pg_admin(f'CREATE DATABASE "{name}"'), timeout=10))
    except Exception as error:
        pytest.skip(f"PostgreSQL unreachable: {error!r}")
    url = database_url(name)
    folder = tmp_path_factory.mktemp("region")
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(folder)
            for variable in ("BOT_TOKEN", "CADREBOT_TIMEZONE", "CADREBOT_LOCALE"):
                patch.delenv(variable, raising=False)
            patch.setenv("DATABASE_URL", url)
            for number, (slug, (county, region, demo)) in enumerate(COUNTIES.items()):
                token = folder / f"{slug}.token"
                token.write_text(f"55500{number}:secret{slug}", encoding="utf-8")
                argv = ["tenant", "add", slug, "--name", county, "--region", region]
                argv += ["--plain-token"]  # no CADREBOT_TOKEN_KEYS here: as before keys
                assert main([*argv, "--token-file", str(token)]) == 0
                if demo is not None:
                    assert main(["--tenant", slug, *demo]) == 0
            yield url
    finally:
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def env(deployment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    for variable in ("BOT_TOKEN", "CADREBOT_TIMEZONE", "CADREBOT_LOCALE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("DATABASE_URL", deployment)
    return deployment


def _this_quarter() -> str:
    return str(Quarter.containing(local_today(SystemClock(), SHANGHAI)))


def _own_totals(capsys: pytest.CaptureFixture[str], slug: str, period: str) -> dict[str, Any]:
    """The county's figures as its own `report compliance` gives them."""
    code, out, err = run(capsys, "--tenant", slug, "report", "compliance", "--period", period)
    assert code == 0, err
    own = json.loads(out)
    return {
        "households": own["total"],
        "village_visits": own["village_visits"]["total"],
        "ledgers": own["ledgers"]["total"],
        "village_month": own["village_visits"]["month"],
        "ledger_year": own["ledgers"]["year"],
    }


def _sum(totals: list[dict[str, Any]], section: str) -> dict[str, int]:
    return {
        figure: sum(total[section][figure] for total in totals)
        for figure in ("assigned", "covered")
    }


def test_a_prefecture_is_the_exact_sum_of_its_counties_own_reports(
    env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    period = _this_quarter()
    own = {slug: _own_totals(capsys, slug, period) for slug in COUNTIES}
    assert own["zhena"]["households"] != own["zhenb"]["households"]  # different, known data
    assert own["zhenb"]["households"]["covered"] > 0
    assert own["qujc"]["households"]["assigned"] > 0 == own["qujc"]["households"]["covered"]

    code, out, err = run(
        capsys, "report", "compliance", "--region", "云南省/昭通市", "--period", period
    )
    assert code == 0, err
    region = json.loads(out)
    assert (region["region"], region["period"]) == ("云南省/昭通市", period)
    assert region["village_month"] == own["zhena"]["village_month"]
    assert region["ledger_year"] == own["zhena"]["ledger_year"]
    # The county of 曲靖市 and the one of 贵州省 are not in it.
    assert [row["county"] for row in region["by_county"]] == ["zhena", "zhenb"]
    assert [row["name"] for row in region["by_county"]] == ["甲县", "乙县"]
    for row in region["by_county"]:
        assert {s: row[s] for s in SECTIONS} == {s: own[row["county"]][s] for s in SECTIONS}
    counted = [own["zhena"], own["zhenb"]]
    assert region["total"] == {"counties": 2, **{s: _sum(counted, s) for s in SECTIONS}}
    assert region["by_subregion"] == []  # the counties lie right in the region


def test_a_province_sums_its_prefectures_and_counties(
    env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    period = _this_quarter()
    own = {slug: _own_totals(capsys, slug, period) for slug in ("zhena", "zhenb", "qujc")}
    code, out, err = run(
        capsys, "report", "compliance", "--region", "云南省", "--period", period, "--format", "csv"
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["level"], r["code"]) for r in rows] == [
        ("region", "云南省"),
        ("subregion", "云南省/昭通市"),
        ("subregion", "云南省/曲靖市"),
        ("county", "zhena"),
        ("county", "zhenb"),
        ("county", "qujc"),
    ]

    def figures(row: dict[str, str]) -> dict[str, dict[str, int]]:
        return {s: {f: int(row[f"{s}_{f}"]) for f in ("assigned", "covered")} for s in SECTIONS}

    by_code = {r["code"]: r for r in rows}
    for slug, totals in own.items():
        assert figures(by_code[slug]) == {s: totals[s] for s in SECTIONS}
    assert figures(by_code["云南省"]) == {s: _sum(list(own.values()), s) for s in SECTIONS}
    zhaotong = [own["zhena"], own["zhenb"]]
    assert figures(by_code["云南省/昭通市"]) == {s: _sum(zhaotong, s) for s in SECTIONS}
    assert figures(by_code["云南省/曲靖市"]) == {s: own["qujc"][s] for s in SECTIONS}
    assert [by_code[c]["counties"] for c in ("云南省", "云南省/昭通市", "云南省/曲靖市")] == [
        "3",
        "2",
        "1",
    ]


def test_a_county_without_a_roster_counts_zero_and_its_name_runs_no_formula(
    env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "report", "compliance", "--region", "贵州省", "--format", "csv")
    assert code == 0, err
    county = next(r for r in csv.DictReader(io.StringIO(out)) if r["level"] == "county")
    assert county["name"] == "'=1+2"
    assert county["households_assigned"] == county["ledgers_covered"] == "0"


def test_a_region_is_matched_by_whole_names_only(
    env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for region in ("云南省/昭通", "云南", "昭通市", "云南省/昭通市/镇雄县"):
        code, out, err = run(capsys, "report", "compliance", "--region", region)
        assert (code, out) == (1, ""), region
        assert err.startswith("refused: "), region  # tenant_no_county (the service's test)


async def test_the_service_reads_only_the_regions_counties(env: str) -> None:
    engine = await open_county_engine(env)
    try:
        report = await regional_compliance(
            engine, ("云南省", "曲靖市"), None, SystemClock(), SHANGHAI
        )
        assert [row.code for row in report.counties] == ["qujc"]
        assert report.total.households == report.counties[0].households
        with pytest.raises(TenantRefused) as refused:
            await regional_compliance(engine, ("云南省", "昭通"), None, SystemClock(), SHANGHAI)
        assert refused.value.reason == "tenant_no_county"
        assert refused.value.params == {"region": "云南省/昭通"}
    finally:
        await engine.dispose()


def test_tenant_and_other_reports_are_usage_errors(
    env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("report", "compliance", "--region", "云南省")
    code, _, err = run(capsys, "--tenant", "zhena", *argv)
    assert code == 2 and "drop --tenant" in err
    code, _, err = run(capsys, "report", "notice", "--region", "云南省")
    assert code == 2 and "compliance only" in err
    code, _, err = run(capsys, *argv, "--format", "xlsx")
    assert code == 2 and "json or csv" in err


def test_a_region_on_sqlite_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'one.sqlite3'}")
    code, out, err = run(capsys, "report", "compliance", "--region", "云南省/昭通市")
    assert (code, out) == (1, "")
    assert "Counties need PostgreSQL" in err
