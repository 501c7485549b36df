"""bench/scale.py at a tiny size: its hand-written SQL baseline computes the same figures as
`cadrebot report compliance`, and those agree with the ledger rule applied in Python.

PostgreSQL only (the bench's target); skipped when the server is unreachable.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

import pytest

from bench import scale
from domain.clock import SystemClock
from domain.ledgers import ledger_missing
from domain.periods import Month
from services.reports.ledgers import ledger_facts
from services.reports.notice import monthly_notice
from storage.db import make_engine, make_sessionmaker
from storage.ledgers import Held, held_households, members_of_held, reviews_of_held
from tests.postgres import database_url, pg_admin

HOUSEHOLDS = 200


@pytest.fixture
async def bench_url() -> AsyncIterator[str]:
    name = f"cadrebot_test_scale_{secrets.token_hex(4)}"
    try:
        await asyncio.wait_for(pg_admin(f'CREATE DATABASE "{name}"'), timeout=10)
    except Exception as error:
        pytest.skip(f"PostgreSQL unreachable: {error!r}")
    try:
        yield database_url(name)
    finally:
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _levels(rows: Iterable[Any], figures: tuple[str, str], cadres: bool) -> dict[str, Any]:
    """Fold baseline cells into the report's levels: total, by unit, township (and cadre)."""
    assigned_key, covered_key = figures
    sums: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    levels = [("unit", "unit_code", "unit_name"), ("township", "township_code", "township_name")]
    if cadres:
        levels.append(("cadre", "cadre_code", "cadre_name"))
    for row in rows:
        for level, code, name in [
            ("total", "", ""),
            *[(lv, row[c], row[n]) for lv, c, n in levels],
        ]:
            bucket = sums[(level, code, name)]
            bucket[0] += row[assigned_key]
            bucket[1] += row[covered_key]

    def listed(level: str, key: str) -> list[dict[str, Any]]:
        return [
            {key: code, "name": name, "assigned": a, "covered": c}
            for (lv, code, name), (a, c) in sorted(sums.items())
            if lv == level
        ]

    total = sums[("total", "", "")]
    section: dict[str, Any] = {
        "total": {"assigned": total[0], "covered": total[1]},
        "by_unit": listed("unit", "unit_code"),
        "by_township": listed("township", "township_code"),
    }
    if cadres:
        section["by_cadre"] = listed("cadre", "cadre_code")
    return section


async def test_compliance_baseline_equals_the_report(bench_url: str) -> None:
    await scale.build(bench_url, HOUSEHOLDS, reuse=False)
    dates = scale.Dates.of(datetime.now(scale.TZ).date())
    rows = await scale.baseline_rows(bench_url, scale.COMPLIANCE_SQL, dates)
    households = [r for r in rows if r["section"] == "household"]
    villages = [r for r in rows if r["section"] == "village"]

    env = {**os.environ, "DATABASE_URL": bench_url}
    done = await asyncio.to_thread(
        subprocess.run,
        [str(scale.CLI), "report", "compliance", "--format", "json"],
        env=env,
        capture_output=True,
        check=True,
    )
    report = json.loads(done.stdout)

    assert report["total"]["assigned"] == HOUSEHOLDS
    assert 0 < report["total"]["covered"] < HOUSEHOLDS
    coverage = _levels(households, ("assigned", "covered"), cadres=True)
    assert {k: report[k] for k in coverage} == coverage
    ledgers = _levels(households, ("assigned", "ledgers_complete"), cadres=True)
    assert {k: report["ledgers"][k] for k in ledgers} == ledgers
    assert 0 < report["ledgers"]["total"]["covered"] < HOUSEHOLDS
    village_levels = _levels(villages, ("assigned", "covered"), cadres=False)
    assert {k: report["village_visits"][k] for k in village_levels} == village_levels

    # The ledger rule in Python (domain.ledgers.ledger_missing), household by household.
    engine = make_engine(bench_url)
    try:
        async with make_sessionmaker(engine)() as session:
            held = Held(at=dates.held_at)
            members = defaultdict(list)
            for member in await members_of_held(session, held):
                members[member.household_id].append(member)
            reviews = {
                r.household_id: r for r in await reviews_of_held(session, dates.ledger_year, held)
            }
            complete = sum(
                not ledger_missing(
                    ledger_facts(members[h.household_id], reviews.get(h.household_id)),
                    dates.ledger_year,
                    dates.ledger_opens_at,
                )
                for h in await held_households(session, held)
            )
    finally:
        await engine.dispose()
    assert report["ledgers"]["total"]["covered"] == complete


async def test_notice_baseline_equals_the_notice(bench_url: str) -> None:
    """The notice's per-unit households and ledgers, counted per unit in the database, are
    the bench baseline's figures."""
    await scale.build(bench_url, HOUSEHOLDS, reuse=False)
    dates = scale.Dates.of(datetime.now(scale.TZ).date())
    rows = await scale.baseline_rows(bench_url, scale.NOTICE_SQL, dates)
    expected = {
        r["unit_code"]: (r["assigned"], r["covered"], r["ledgers_complete"])
        for r in rows
        if r["section"] == "household"
    }
    engine = make_engine(bench_url)
    try:
        async with make_sessionmaker(engine)() as session:
            notice = await monthly_notice(
                session, Month.containing(dates.today), SystemClock(), scale.TZ, (9, 1), "zh"
            )
    finally:
        await engine.dispose()
    standings = [r.standing for r in notice.ranking]
    got = {
        s.unit_code: (s.households.assigned, s.households.covered, s.ledgers.covered)
        for s in standings
    }
    assert got == expected
    assert sum(a for a, _, _ in got.values()) == HOUSEHOLDS


async def test_dropouts_baseline_lists_the_reports_children(bench_url: str) -> None:
    """The dropout lists' baseline reads the children the report lists, township by
    township, and its hand-written workbooks hold them: the ratio compares like with like."""
    from services.reports.schooling import township_lists

    await scale.build(bench_url, HOUSEHOLDS, reuse=False)
    dates = scale.Dates.of(datetime.now(scale.TZ).date())
    rows = await scale.baseline_rows(bench_url, scale.DROPOUTS_SQL, dates)
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        counts = expected[row[0]]
        counts[0] += 1
        counts[1] += row[7] == "suspected_dropout"
        counts[2] += row[7] == "dropout"
    engine = make_engine(bench_url)
    try:
        async with make_sessionmaker(engine)() as session:
            lists = await township_lists(session, scale.school_year_of(dates.today))
    finally:
        await engine.dispose()
    got = {t.code: [len(t.children), len(t.suspected), len(t.dropouts)] for t in lists}
    assert got == dict(expected) and sum(c[0] for c in got.values()) > 0


def test_bare_workbooks_hold_the_rows(tmp_path: Any) -> None:
    from openpyxl import load_workbook

    rows = [("T1", "V1", "H1", "户主", "小明", "男", None, "dropout", None, None, None, "r", None)]
    rows += [
        ("T2", "V2", "H2", "户主", "小红", "女", None, "enrolled", "primary", "S", "3", None, None)
    ]
    scale.bare_dropout_workbooks(rows, tmp_path)
    book = load_workbook(tmp_path / "bare-T1.xlsx", read_only=True)
    assert [len(list(book[name].rows)) for name in ("all", "suspected", "dropouts")] == [2, 1, 2]
    assert (tmp_path / "bare-T2.xlsx").exists()


async def test_preview_baseline_names_the_previews_reminders(bench_url: str) -> None:
    """On a ledger-reminder day the preview's reminders are the baseline's (a holder's owed
    households in one reminder; an overdue case's to each of its audience), and reading
    three rules at once gives what reading them one after the other gives."""
    from reminders.outbox import preview
    from reminders.rules import RuleContext
    from ui.i18n import Catalogs

    await scale.build(bench_url, HOUSEHOLDS, reuse=False)
    dates = scale.Dates.of(datetime.now(scale.TZ).date())
    rows = await scale.baseline_rows(bench_url, scale.PREVIEW_SQL, dates)
    at = datetime.combine(dates.ledger_reminder_day, datetime.min.time().replace(hour=9))
    context = RuleContext(scale.TZ, Catalogs.load("zh"), (9, 1))
    engine = make_engine(bench_url)
    try:
        sessionmaker = make_sessionmaker(engine)
        read: dict[int, list[tuple[str, str, str, int, str]]] = {}
        for at_once in (1, 3):
            read[at_once] = [
                (r.rule, r.period, r.occurrence, r.recipient.cadre_id, r.text)
                async for batch in preview(
                    sessionmaker, at.replace(tzinfo=scale.TZ), context, at_once
                )
                for r in batch
            ]
    finally:
        await engine.dispose()
    assert read[1] == read[3]
    ledger = {row[1] for row in rows if row[0] == "ledger_deadline"}
    overdue = sorted((row[1], row[5]) for row in rows if row[0] == "dropout_overdue")
    assert ledger and overdue
    assert {r[3] for r in read[3] if r[0] == "ledger_deadline"} == ledger
    assert sum(r[0] == "ledger_deadline" for r in read[3]) == len(ledger)
    assert sorted((r[3], r[2]) for r in read[3] if r[0] == "dropout_overdue") == overdue
