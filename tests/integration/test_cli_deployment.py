"""A first deployment from the command line: --help, bot names, the reports folder, the
missing plan, and `cadrebot doctor`, in-process against a temporary SQLite database."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import bot.cli
from bot.cli import build_parser, main
from bot.settings import SANDBOX_BOT_USERNAME
from domain.clock import SystemClock, local_today
from services.readiness import STEPS
from services.registration import redeem_invite
from storage.db import open_database
from storage.models import Cadre, OutboxMessage
from storage.reminders import give_up_lease, take_lease
from tests.integration.test_cli import EXAMPLES, SHANGHAI, run

THIS_YEAR = local_today(SystemClock(), SHANGHAI).year
NO_PLAN = f"no plan is loaded for {THIS_YEAR}"
TITLES = {step: step.replace("_", " ") for step in STEPS} | {"pdf_font": "door-code font"}


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty working folder (no .env) and a database file that does not exist yet."""
    monkeypatch.chdir(tmp_path)
    for name in ("BOT_TOKEN", "CADREBOT_TIMEZONE", "CADREBOT_LOCALE", "CADREBOT_REPORTS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CADREBOT_PDF_FONT", raising=False)
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def _subcommands() -> list[str]:
    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(commands.choices)


def test_help_and_the_docstring_name_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    listed = {line.split()[0] for line in out.splitlines() if line.startswith("    ")}
    docstring = (bot.cli.__doc__ or "").split("\n\n")[0]
    for name in _subcommands():
        assert name in listed, f"`cadrebot --help` does not list {name}"
        assert f" {name}" in docstring.replace("\n", " "), f"the docstring misses {name}"
    assert "doctor" in _subcommands()


def test_invite_and_qr_without_a_token_name_the_sandbox_bot(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "import", str(EXAMPLES))[0] == 0
    code, out, err = run(capsys, "invite", "C0001")
    assert code == 0
    assert f"link:    https://t.me/{SANDBOX_BOT_USERNAME}?start=" in out
    assert "sandbox mode" in err and "--bot-username" in err
    code, out, err = run(capsys, "qr")
    assert code == 0 and "8 door codes" in out
    pdf = Path("reports/door-codes.pdf").read_bytes()
    assert f"https://t.me/{SANDBOX_BOT_USERNAME}?start=hh_H0601001".encode() in pdf
    code, out, _ = run(capsys, "invite", "C0002", "--bot-username", "@yaoan_cadre_bot")
    assert "https://t.me/yaoan_cadre_bot?start=" in out  # given: wins, without its @


def test_with_a_token_but_no_answer_the_failure_names_the_option(
    database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(capsys, "import", str(EXAMPLES))[0] == 0
    monkeypatch.setenv("BOT_TOKEN", "123:not-a-real-token")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:9")  # nobody listens
    code, _, err = run(capsys, "qr")
    assert code == 2
    assert "could not ask the Bot API" in err and "--bot-username" in err
    code, out, err = run(capsys, "invite", "C0001")
    assert code == 0 and "--bot-username" in out and "/start " in out


def test_files_go_to_the_reports_folder_unless_told_otherwise(
    database: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run(capsys, "import", str(EXAMPLES))[0] == 0
    assert run(capsys, "plan", "load", "--year", str(THIS_YEAR))[0] == 0
    name = "yaoan_bot"
    assert run(capsys, "qr", "--bot-username", name)[0] == 0
    assert run(capsys, "report", "notice")[0] == 0
    assert run(capsys, "report", "schooling", "--format", "xlsx")[0] == 0
    written = sorted(path.name for path in (tmp_path / "reports").iterdir())
    month = datetime.now(SHANGHAI).strftime("%Y-%m")
    school_year = run(capsys, "report", "schooling")[1].split('"school_year": ')[1].split(",")[0]
    assert written == [
        "door-codes.pdf",
        f"notice-{month}.png",
        f"notice-{month}.xlsx",
        f"schooling-{school_year}.xlsx",
    ]
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".sqlite3") == ["reports"]

    monkeypatch.setenv("CADREBOT_REPORTS_DIR", str(tmp_path / "elsewhere"))
    assert run(capsys, "qr", "--bot-username", name)[0] == 0
    assert (tmp_path / "elsewhere" / "door-codes.pdf").exists()
    assert run(capsys, "qr", "--bot-username", name, "--output", "mine.pdf")[0] == 0
    assert (tmp_path / "mine.pdf").exists()  # --output wins
    assert run(capsys, "report", "notice", "--output-dir", "out")[0] == 0
    assert (tmp_path / "out" / f"notice-{month}.xlsx").exists()  # --output-dir wins


def test_qr_without_a_usable_font_names_the_setting(
    database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(capsys, "import", str(EXAMPLES))[0] == 0
    monkeypatch.setenv("CADREBOT_PDF_FONT", "/nowhere/font.ttf")
    code, _, err = run(capsys, "qr", "--bot-username", "b_bot")
    assert code == 2 and "CADREBOT_PDF_FONT" in err and "fonts-wqy-microhei" in err


def test_without_a_plan_import_reminders_and_notice_say_so(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "import", str(EXAMPLES))
    assert code == 0
    assert NO_PLAN in err and f"cadrebot plan load --year {THIS_YEAR}" in err
    at = f"{THIS_YEAR}-03-10 10:00"
    code, _, err = run(capsys, "reminders", "preview", "--at", at)
    assert code == 0 and NO_PLAN in err and "cadrebot plan load" in err
    code, _, err = run(capsys, "report", "notice", "--month", f"{THIS_YEAR}-01")
    assert code == 0 and NO_PLAN in err

    assert run(capsys, "plan", "load", "--year", str(THIS_YEAR))[0] == 0
    for argv in (
        ["import", str(EXAMPLES)],
        ["reminders", "preview", "--at", at],
        ["report", "notice", "--month", f"{THIS_YEAR}-01"],
    ):
        code, _, err = run(capsys, *argv)
        assert code == 0 and "no plan is loaded" not in err, argv


def _doctor(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, str], str]:
    """Exit code, each step's line (MISSING/ok ...) by step, and the whole output."""
    code, out, _ = run(capsys, "doctor")
    lines: dict[str, str] = {}
    for step, title in TITLES.items():
        [line] = [x for x in out.splitlines() if x[9:].startswith(title + " ")]
        lines[step] = line
    return code, lines, out


def _missing(lines: dict[str, str]) -> set[str]:
    return {step for step, line in lines.items() if line.startswith("MISSING")}


def _unchecked(lines: dict[str, str]) -> set[str]:
    return {step for step, line in lines.items() if line.startswith("\u2014")}


async def _register_and_lease(url: str, invite: str) -> None:
    clock = SystemClock()
    async with open_database(url) as sessionmaker:
        async with sessionmaker() as session:
            await redeem_invite(session, 4242, invite, clock)
        async with sessionmaker() as session, session.begin():
            now = clock.now()
            assert await take_lease(session, "test-scheduler", now, now + timedelta(minutes=5))


async def _stuck_reminder(url: str) -> None:
    async with open_database(url) as sessionmaker, sessionmaker() as session, session.begin():
        cadre = await session.scalar(Cadre.__table__.select().with_only_columns(Cadre.id))
        long_ago = datetime.now(UTC) - timedelta(hours=2)
        session.add(
            OutboxMessage(
                cadre_id=cadre,
                chat_id=4242,
                rule="test",
                period="p",
                occurrence="o",
                text="hello",
                not_before=long_ago,
                created_at=long_ago,
            )
        )


def test_doctor_names_each_missing_step_until_nothing_is_missing(
    database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, lines, out = _doctor(capsys)
    assert code == 1
    assert _missing(lines) == {"bot_token", "database"}
    # Behind a missing database nothing could be looked at: never "ok".
    assert _unchecked(lines) == {"schema", "roster", "plan", "registrations", "scheduler", "outbox"}
    # The font and (polling: not used) the webhook do not depend on the database.
    independent = ("pdf_font", "webhook")
    assert not any(line.startswith("ok") for step, line in lines.items() if step not in independent)
    assert "not used (CADREBOT_MODE=polling" in lines["webhook"]
    assert out.rstrip().endswith("2 steps missing, 6 not checked")
    assert "sandbox mode" in lines["bot_token"]
    assert not Path(database.split(":///")[1]).exists()  # doctor creates nothing
    for fix in ("set BOT_TOKEN", "cadrebot db upgrade", "cadrebot import", "cadrebot plan load"):
        assert f"fix: {fix}" in out
    assert "`cadrebot run` or `cadrebot scheduler`" in out

    assert run(capsys, "db", "upgrade")[0] == 0
    code, lines, _ = _doctor(capsys)
    assert _missing(lines) == {"bot_token", "roster", "plan", "registrations", "scheduler"}

    assert run(capsys, "import", str(EXAMPLES))[0] == 0
    # The README's step: plain `plan load` re-bases the shipped plan onto this year.
    assert run(capsys, "plan", "load")[0] == 0
    code, out, _ = run(capsys, "invite", "C0001", "--bot-username", "yaoan_bot")
    invite = out.split("?start=")[1].split()[0]
    code, lines, out = _doctor(capsys)
    assert _missing(lines) == {"bot_token", "registrations", "scheduler"}
    assert "0 of 5 cadres registered" in lines["registrations"]
    # C0001 holds an open invite: named as invited, not asked to be invited again.
    expires = (datetime.now(UTC) + timedelta(days=7)).astimezone(SHANGHAI)
    invited = f"invited, not yet registered: C0001 (invite expires {expires:%Y-%m-%d})"
    assert invited in lines["registrations"]
    assert "C0001" not in lines["registrations"].split("invite the others")[1]
    assert "cadrebot invite" in out

    asyncio.run(_register_and_lease(database, invite))
    monkeypatch.setenv("BOT_TOKEN", "123:any-token")  # doctor does not ask Telegram
    code, lines, out = _doctor(capsys)
    assert (code, _missing(lines)) == (0, set()), out
    assert "1 of 5 cadres registered" in lines["registrations"]
    assert "test-scheduler" in lines["scheduler"]
    assert out.rstrip().endswith("nothing missing: ready")

    asyncio.run(_stuck_reminder(database))
    code, lines, _ = _doctor(capsys)
    assert (code, _missing(lines)) == (1, {"outbox"})
    assert "1 reminder due and unsent, the oldest for 2 h" in lines["outbox"]

    asyncio.run(_give_up_lease(database))
    code, lines, _ = _doctor(capsys)
    assert "scheduler" in _missing(lines)
    assert "test-scheduler gave it up when it stopped" in lines["scheduler"]


async def _give_up_lease(url: str) -> None:
    """What a scheduler does at a clean stop."""
    async with open_database(url) as sessionmaker, sessionmaker() as session, session.begin():
        await give_up_lease(session, "test-scheduler")


def test_doctor_on_an_unreachable_database_says_so(
    database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/nothing")
    code, lines, out = _doctor(capsys)
    assert code == 1 and "database" in _missing(lines)
    assert "fix: check DATABASE_URL" in out
