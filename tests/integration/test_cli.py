"""The `cadrebot` command line, run in-process against a temporary SQLite database."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from domain.clock import SystemClock, local_today
from domain.periods import Quarter
from domain.plan_rules import PlanRules
from services.actors import Actor
from services.registration import redeem_invite
from services.village_visits import VillageVisitRequest, log_village_visit
from services.visits import VisitRequest, log_household_visit
from storage.db import open_database
from storage.migrate import script_heads

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "roster"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)  # no stray .env; data/ goes here
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    for name in ("BOT_TOKEN", "CADREBOT_TIMEZONE", "CADREBOT_LOCALE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def _log_visits_as(url: str, codes: dict[str, list[str]]) -> None:
    """Register each cadre through an invite printed by the CLI, then log today's visits."""
    clock = SystemClock()
    rules = PlanRules(SHANGHAI, 30)
    async with open_database(url) as sessionmaker:
        for account, (invite, households) in enumerate(codes.items(), start=500):
            async with sessionmaker() as session:
                actor: Actor = await redeem_invite(session, account, invite, clock)
            if account == 500:  # C0001 of 教育股 logs the unit's village visit (V0601)
                async with sessionmaker() as session:
                    await log_village_visit(
                        session, actor, VillageVisitRequest(discussed="控辍保学"), clock, rules
                    )
            for household in households:
                async with sessionmaker() as session:
                    await log_household_visit(
                        session, actor, VisitRequest(household_code=household), clock, rules
                    )


def _invite(capsys: pytest.CaptureFixture[str], cadre: str) -> str:
    code, out, _ = run(capsys, "invite", cadre, "--bot-username", "yaoan_cadre_bot")
    assert code == 0
    link = next(line for line in out.splitlines() if line.startswith("link:"))
    assert link.startswith("link:    https://t.me/yaoan_cadre_bot?start=")
    return link.rsplit("=", 1)[1]


def test_import_invite_and_report_agree_with_hand_count(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "import", str(EXAMPLES))
    assert code == 0, out
    invites = {
        _invite(capsys, "C0001"): ["H0601001"],
        _invite(capsys, "C0002"): ["H0602001"],
        _invite(capsys, "C0006"): ["H0701001"],
    }
    asyncio.run(_log_visits_as(database, invites))
    period = str(Quarter.containing(local_today(SystemClock(), SHANGHAI)))

    code, out, _ = run(capsys, "report", "compliance", "--period", period, "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert report["period"] == period
    assert report["total"] == {"assigned": 8, "covered": 3}
    units = {row["unit_code"]: (row["assigned"], row["covered"]) for row in report["by_unit"]}
    assert units == {"JYG": (5, 2), "ZX06": (3, 1)}
    cadres = {row["cadre_code"]: (row["assigned"], row["covered"]) for row in report["by_cadre"]}
    assert cadres == {"C0001": (3, 1), "C0002": (2, 1), "C0006": (3, 1)}
    townships = {r["township_code"]: (r["assigned"], r["covered"]) for r in report["by_township"]}
    assert townships == {"T06": (6, 2), "T07": (2, 1)}
    ledgers = report["ledgers"]  # nobody reviewed a ledger yet
    assert ledgers["total"] == {"assigned": 8, "covered": 0}
    assert {r["cadre_code"]: r["assigned"] for r in ledgers["by_cadre"]} == {
        "C0001": 3,
        "C0002": 2,
        "C0006": 3,
    }
    villages = report["village_visits"]
    assert villages["total"] == {"assigned": 3, "covered": 1}
    assert {r["unit_code"]: r["covered"] for r in villages["by_unit"]} == {
        "BGS": 0,
        "JYG": 1,
        "ZX06": 0,
    }

    code, out, _ = run(capsys, "report", "compliance", "--period", period, "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "period,level,code,name,assigned,covered"
    assert f"{period},county,,,8,3" in lines
    assert f"{period},unit,JYG,教育股,5,2" in lines
    assert f"{villages['month']},village_unit,JYG,教育股,1,1" in lines


def test_bad_roster_exits_2_naming_row_and_column(
    database: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "townships.csv").write_text("code,name\nT1,栋川镇\nT1,重复\n", encoding="utf-8")
    code, _, err = run(capsys, "import", str(folder))
    assert code == 2  # every refused roster, bad row or unreadable file alike
    assert "townships.csv" in err and "row 3" in err
    assert "nothing was imported" in err


def test_plan_load_and_demo(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "plan", "load", "--year", "2026")[0] == 0
    assert run(capsys, "demo", "--size", "small")[0] == 0
    code, out, _ = run(capsys, "db", "upgrade")
    head = ", ".join(sorted(script_heads()))
    assert (code, out.strip()) == (0, f"schema is up to date ({head})")


def test_bad_period_is_refused(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "report", "compliance", "--period", "2026-Q9")
    assert code == 1
    assert err.strip() == (
        "refused: \u201c2026-Q9\u201d is not a quarter. Write it as YYYY-Qn, for example "
        "2026-Q4. (Rule: period format.)"
    )
    code, _, err = run(capsys, "report", "notice", "--month", "2026-13")
    assert code == 1
    assert err.strip().startswith("refused: \u201c2026-13\u201d is not a month.")


def test_a_quarter_not_yet_started_is_refused_in_words(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "report", "compliance", "--period", "2099-Q1")
    assert (code, out) == (1, "")
    assert err.strip() == (
        "refused: Q1 2099 has not started yet, so there is no coverage to show. "
        "(Rule: no future quarters.)"
    )


def test_invite_for_unknown_cadre_is_refused(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "invite", "NOBODY", "--bot-username", "x_bot")
    assert code == 1
    assert err.strip() == (
        "refused: No active cadre has the code NOBODY on the roster, so nothing was done. "
        "(Rule: a roster code.)"
    )


def test_bad_configuration_names_the_variable(
    database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CADREBOT_TIMEZONE", "Mars/Olympus")
    monkeypatch.setenv("CADREBOT_BACKDATE_DAYS", "-3")
    code, _, err = run(capsys, "db", "upgrade")
    assert code == 2
    assert "CADREBOT_TIMEZONE" in err and "Mars/Olympus" in err
    assert "CADREBOT_BACKDATE_DAYS" in err


def test_door_codes_pdf(database: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, "import", str(EXAMPLES))[0] == 0
    output = tmp_path / "doors.pdf"
    code, out, _ = run(capsys, "qr", "--output", str(output), "--bot-username", "yaoan_cadre_bot")
    assert code == 0 and "8 door codes" in out
    pdf = output.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert b"/Count 1" in pdf  # 8 households fill one A4 page of 2 x 4
    assert b"https://t.me/yaoan_cadre_bot?start=hh_H0601001" in pdf  # the card's link
    code, out, _ = run(
        capsys, "qr", "--village", "V0701", "--output", str(output), "--bot-username", "b_bot"
    )
    assert code == 0 and "2 door codes" in out
    code, _, err = run(capsys, "qr", "--village", "NOPE", "--bot-username", "b_bot")
    assert code == 1 and "no households" in err


def test_door_code_links_and_pages() -> None:
    from services.files.door_codes import DoorCode, door_codes_pdf, household_link

    assert household_link("b_bot", "H1") == "https://t.me/b_bot?start=hh_H1"
    cards = [DoorCode(f"H{n}", "张三", "大村", household_link("b_bot", f"H{n}")) for n in range(9)]
    assert b"/Count 2" in door_codes_pdf(cards)  # 9 cards: a second page


def test_far_visits_report(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "import", str(EXAMPLES))[0] == 0
    code, out, _ = run(capsys, "report", "far-visits", "--period", "2026-Q4")
    assert code == 0
    assert json.loads(out) == {"period": "2026-Q4", "count": 0, "visits": []}
    assert run(capsys, "report", "far-visits", "--format", "text")[0] == 2


def test_reminders_preview_defaults_to_now_and_says_nobody_is_registered(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "import", str(EXAMPLES))[0] == 0
    assert run(capsys, "plan", "load")[0] == 0
    code, out, err = run(capsys, "reminders", "preview")
    assert code == 0
    assert "no --at: previewing now, " in err
    assert out.splitlines()[0].startswith("0 reminders at ")
    assert "nobody is registered yet: reminders go to registered cadres only" in out


def test_report_dropouts_names_every_township_with_a_central_school(
    database: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    roster = tmp_path / "roster"
    shutil.copytree(EXAMPLES, roster)
    with (roster / "units.csv").open("a", encoding="utf-8") as units:
        units.write("ZX07,左门乡中心学校,central_school,T07\n")  # T07: no child of school age
    assert run(capsys, "import", str(roster))[0] == 0
    code, out, err = run(
        capsys, "report", "dropouts", "--format", "xlsx", "--year", "2026", "--output-dir", "d"
    )
    assert code == 0, err
    assert "dropout-lists-2026-T06.xlsx: 适中乡 适龄儿童 2, 疑似辍学 0, 辍学 0" in out
    assert "T07 左门乡: no children of school age in poor villages, no cases" in out
