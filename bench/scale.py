"""Reports at province scale: build a province on PostgreSQL, time each report's CLI command
against a hand-written SQL aggregate of the same figures, and its peak memory.

    .venv/bin/python -m bench.scale [--households 100000] [--database-url URL] [--reuse]
                                    [--build-only] [--repeat 3] [--sizes 100000,1000000]

The province is built server-side (INSERT ... SELECT generate_series, no rows through
Python) into its own database, `cadrebot_scale` on 127.0.0.1:5432 by default, created when
missing; no other database is touched. --reuse keeps a database already built with the same
number of households (the database's comment records it). The data is dated around today:
this year's visits up to today, this season's ledgers, the shipped plan re-based onto this
year.

Each report runs as the real CLI (`cadrebot report ...`, `cadrebot reminders preview`) in its
own child process with DATABASE_URL set; wall time and the child's own peak RSS (os.wait4)
are taken. Its baseline is hand-written SQL computing the same figures (one statement; the
preview's, one per rule that fires), run here through asyncpg. Both are the median of
--repeat runs. `cadrebot --help` gives the start-up every command pays before its first
query.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from domain.coverage import village_month_for
from domain.ledgers import season_start
from domain.periods import Quarter
from domain.plan import rebase
from domain.schooling import birth_window, school_year_of
from domain.status import ledger_season
from services.plan_loader import default_plan_path, load_plan, read_plan_file
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.reminder_owing import WHITESPACE, compulsory_births

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/cadrebot_scale"
TZ = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / ".venv" / "bin" / "cadrebot"
# Tables emptied before a rebuild (everything but Alembic's own), and counted after.
TABLES = (
    "townships", "villages", "units", "cadres", "households", "members", "pairings",
    "unit_villages", "household_visits", "village_visits", "ledger_reviews", "aid_records",
    "ledger_changes", "campaigns", "tasks", "milestones", "milestone_reports",
    "dropout_cases", "dropout_events", "reminder_rules", "plan_settings",
)  # fmt: skip
_MARKER = re.compile(r"bench\.scale households=(\d+) built=(\S+)")


@dataclass(frozen=True)
class Shape:
    """How many of each roster row a province of `households` households has."""

    households: int

    @property
    def townships(self) -> int:
        return max(2, self.households // 5000)

    @property
    def villages(self) -> int:
        return max(2, self.households // 100)

    @property
    def schools(self) -> int:
        return max(1, self.households // 2000)

    @property
    def units(self) -> int:
        # 5 sections and an office, a central school per township, then the schools.
        return 6 + self.townships + self.schools

    @property
    def cadres(self) -> int:
        return max(self.units, self.households // 5)


def asyncpg_dsn(url: str) -> str:
    """The plain libpq URL asyncpg takes, from a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def ensure_database(url: str) -> None:
    """Create the database named in `url` when missing (through the server's `postgres`)."""
    parsed = make_url(url)
    name = parsed.database
    if not name:
        raise SystemExit("the database URL names no database")
    admin = await asyncpg.connect(asyncpg_dsn(parsed.set(database="postgres").render_as_string(
        hide_password=False)))  # fmt: skip
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def built_households(connection: Any, name: str) -> int | None:
    """The households of a finished build of this database, from its comment (else None)."""
    comment = await connection.fetchval(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", name
    )
    match = _MARKER.search(comment or "")
    return int(match.group(1)) if match else None


# Hash-based pseudo-randomness: deterministic, the same on every build and plan.
def _pick(expression: str, modulo: int) -> str:
    return f"(abs(hashint4(({expression})::int)) % {modulo})"


BUILD: tuple[tuple[str, str], ...] = (
    (
        "townships",
        """INSERT INTO townships (id, code, name)
           SELECT t, 'T' || lpad(t::text, 4, '0'), '乡镇' || t FROM generate_series(1, $T) t""",
    ),
    (
        "villages",
        f"""INSERT INTO villages (id, code, name, township_id, poor, latitude, longitude)
           SELECT v, 'V' || lpad(v::text, 6, '0'), '村' || v, ((v - 1)::bigint * $T) / $V + 1,
                  {_pick("v", 10)} <> 0, 25.0 + (v % 1000) / 1000.0, 101.0 + (v % 700) / 1000.0
           FROM generate_series(1, $V) v""",
    ),
    (
        "units",
        """INSERT INTO units (id, code, name, kind, township_id)
           SELECT u, (ARRAY['JYG','JCG','JHB','GCB','YYB','BGS'])[u],
                  (ARRAY['教育股','计财股','均衡办','工程办','营养办','办公室'])[u],
                  CASE WHEN u = 6 THEN 'office' ELSE 'section' END, NULL
           FROM generate_series(1, 6) u
           UNION ALL
           SELECT 6 + t, 'CS' || lpad(t::text, 4, '0'), '乡镇' || t || '中心学校',
                  'central_school', t
           FROM generate_series(1, $T) t
           UNION ALL
           SELECT 6 + $T + s, 'SC' || lpad(s::text, 5, '0'), '学校' || s, 'school',
                  ((s - 1)::bigint * $T) / $S + 1
           FROM generate_series(1, $S) s""",
    ),
    (
        "cadres",
        # Cadres of a unit are a contiguous block; the unit's first is its head, the
        # Education Section's first three are supervisors; one in ten never registered.
        """INSERT INTO cadres (id, code, name, unit_id, role, phone, telegram_user_id, locale,
                                active, registered_at)
           SELECT c, 'C' || lpad(c::text, 7, '0'), '干部' || c, u,
                  CASE WHEN u = 1 AND c <= 3 THEN 'supervisor'
                       WHEN c = first THEN 'unit_head' ELSE 'cadre' END,
                  '138' || lpad(c::text, 8, '0'),
                  CASE WHEN c % 10 <> 0 THEN 7000000000 + c END, 'zh', true,
                  CASE WHEN c % 10 <> 0 THEN timestamptz '2025-03-01 02:00+00' END
           FROM (SELECT c, ((c - 1)::bigint * $U) / $C + 1 AS u FROM generate_series(1, $C) c) x
           CROSS JOIN LATERAL (SELECT ceil((x.u - 1)::numeric * $C / $U)::int + 1 AS first) f""",
    ),
)


def build_statements(shape: Shape, today: date) -> list[tuple[str, str]]:
    """The steps of a build, each one server-side statement, in order."""
    year = today.year
    values = {
        "$T": str(shape.townships),
        "$V": str(shape.villages),
        "$S": str(shape.schools),
        "$U": str(shape.units),
        "$C": str(shape.cadres),
        "$N": str(shape.households),
        "$TODAY": f"date '{today.isoformat()}'",
        "$Y": str(year),
    }
    # A household's holder now (5 per cadre, contiguous, so in one village).
    holder = "least($C, (h - 1) / 5 + 1)"
    steps = list(BUILD)
    steps += [
        (
            "households",
            """INSERT INTO households (id, code, village_id, head_name, size, status, latitude,
                                      longitude)
               SELECT h, 'H' || lpad(h::text, 8, '0'), least($V, (h - 1) / 100 + 1), '户主' || h,
                      4, 'poor', 25.0 + (h % 1000) / 1000.0, 101.0 + (h % 700) / 1000.0
               FROM generate_series(1, $N) h""",
        ),
        (
            "pairings",
            # Held now by `holder`; one in 50 changed hands 19 days ago (the old pairing
            # closed then); one in 10 had another cadre two years ago.
            f"""INSERT INTO pairings (cadre_id, household_id, since, until)
               SELECT {holder}, h,
                      CASE WHEN h % 50 = 7 THEN ($TODAY - 19)::timestamp AT TIME ZONE 'UTC'
                           ELSE make_timestamptz($Y - 1, 1, 1, 0, 0, 0, 'UTC') END, NULL
               FROM generate_series(1, $N) h
               UNION ALL
               SELECT {holder} % $C + 1, h, make_timestamptz($Y - 1, 1, 1, 0, 0, 0, 'UTC'),
                      ($TODAY - 19)::timestamp AT TIME ZONE 'UTC'
               FROM generate_series(7, $N, 50) h
               UNION ALL
               SELECT ({holder} + 6) % $C + 1, h, make_timestamptz($Y - 2, 1, 1, 0, 0, 0, 'UTC'),
                      make_timestamptz($Y - 1, 1, 1, 0, 0, 0, 'UTC')
               FROM generate_series(3, $N, 10) h""",
        ),
        (
            "unit_villages",
            """INSERT INTO unit_villages (unit_id, village_id)
               SELECT ((v - 1)::bigint * $U) / $V + 1, v FROM generate_series(1, $V) v""",
        ),
        (
            "members",
            # Two adults and two children a household; children born over 22 years, so
            # some are of school age; statuses as a real ledger has them, gaps included.
            f"""INSERT INTO members (id, household_id, name, sex, birth_date, stage, school,
                                    grade, status, destination)
               SELECT m, h, CASE k WHEN 0 THEN '户主' || h ELSE '成员' || k END,
                      CASE WHEN k % 2 = 0 THEN 'M' ELSE 'F' END, birth,
                      CASE WHEN status = 'enrolled' THEN
                           CASE WHEN age < 6 THEN 'preschool' WHEN age <= 11 THEN 'primary'
                                WHEN age <= 14 THEN 'junior' ELSE 'senior' END END,
                      CASE WHEN status = 'enrolled' THEN '学校' || (h % 997) END,
                      CASE WHEN status = 'enrolled' AND age >= 6 AND r >= 30
                           THEN (age - 5) || '年级' END,
                      status,
                      CASE WHEN status = 'graduated' AND r % 10 <> 0
                           THEN (ARRAY['senior','vocational','work','other'])[r % 4 + 1] END
               FROM (
                 SELECT m, h, k, birth, r,
                        date_part('year', age(make_date($Y, 9, 1), birth))::int AS age
                 FROM (
                   SELECT (h - 1) * 4 + k + 1 AS m, h, k,
                          {_pick("(h - 1) * 4 + k + 1", 1000)} AS r,
                          CASE WHEN k < 2 THEN
                               CASE WHEN k = 1 AND h % 200 = 0 THEN NULL
                                    ELSE make_date($Y - 60, 1, 1)
                                         + {_pick("h * 3 + k", 35 * 365)} END
                               ELSE make_date($Y - 22, 1, 1)
                                    + {_pick("h * 7 + k", 22 * 365)} END AS birth
                   FROM generate_series(1, $N) h CROSS JOIN generate_series(0, 3) k
                 ) raw
               ) aged
               CROSS JOIN LATERAL (SELECT CASE
                    WHEN k < 2 OR birth IS NULL THEN NULL
                    WHEN age < 3 THEN NULL
                    WHEN age < 6 THEN CASE WHEN r < 500 THEN 'enrolled' END
                    WHEN age <= 14 THEN CASE WHEN r < 8 THEN NULL
                                             WHEN r < 13 THEN 'suspected_dropout'
                                             WHEN r < 17 THEN 'dropout'
                                             WHEN r < 20 THEN 'exempted'
                                             ELSE 'enrolled' END
                    WHEN age <= 17 THEN CASE WHEN r < 700 THEN 'enrolled' ELSE 'graduated' END
                    ELSE 'graduated' END AS status) s""",
        ),
        (
            "household_visits",
            # Each quarter of this year up to today, a household is visited with a chance
            # that varies by village block (45%-94%); one in five twice.
            f"""INSERT INTO household_visits (household_id, cadre_id, visit_date, reported_at,
                                             latitude, longitude, accuracy_m, distance_m,
                                             far_from_place, note)
               SELECT h, {holder}, day, (day + time '10:00')::timestamp AT TIME ZONE 'UTC',
                      25.0, 101.0, 20.0, CASE WHEN far THEN 3000.0 + h % 5000 ELSE 40.0 END,
                      far, CASE WHEN h % 3 = 0 THEN '入户走访' END
               FROM (
                 SELECT h, q, qs + {_pick("h * 13 + q * 7 + n", 1000003)} % days AS day,
                        {_pick("h * 17 + q + n", 100)} = 0 AS far
                 FROM generate_series(1, $N) h
                 CROSS JOIN generate_series(1, 4) q
                 CROSS JOIN generate_series(0, 1) n
                 CROSS JOIN LATERAL (SELECT make_date($Y, 3 * q - 2, 1) AS qs) s
                 CROSS JOIN LATERAL (SELECT (least($TODAY,
                     (qs + interval '3 months - 1 day')::date) - qs + 1) AS days) d
                 WHERE qs <= $TODAY
                   AND {_pick("h * 11 + q", 100)} < 45 + ((h - 1) / 500) % 50
                   AND (n = 0 OR {_pick("h * 19 + q", 5)} = 0)
               ) v
               ON CONFLICT ON CONSTRAINT uq_household_visits_day DO NOTHING""",
        ),
        (
            "village_visits",
            # Each month up to today, a unit visits each of its villages with a 75% chance.
            f"""INSERT INTO village_visits (unit_id, village_id, cadre_id, visit_date, reported_at,
                                           latitude, longitude, accuracy_m, distance_m,
                                           far_from_place, participants, discussed)
               SELECT uv.unit_id, uv.village_id, f.first, day,
                      (day + time '11:00')::timestamp AT TIME ZONE 'UTC', 25.0, 101.0, 30.0,
                      CASE WHEN {_pick("uv.id * 5 + mo", 50)} = 0 THEN 4000.0 ELSE 60.0 END,
                      {_pick("uv.id * 5 + mo", 50)} = 0, '工作队', '控辍保学'
               FROM unit_villages uv
               JOIN (SELECT unit_id, min(id) AS first FROM cadres GROUP BY unit_id) f
                 ON f.unit_id = uv.unit_id
               CROSS JOIN generate_series(1, date_part('month', $TODAY)::int) mo
               CROSS JOIN LATERAL (SELECT make_date($Y, mo, 1) AS ms) s
               CROSS JOIN LATERAL (SELECT ms + {_pick("uv.id * 31 + mo", 1000003)}
                   % (least($TODAY, (ms + interval '1 month - 1 day')::date) - ms + 1) AS day) d
               WHERE {_pick("uv.id * 29 + mo", 100)} < 75""",
        ),
        (
            "ledger_reviews",
            # Last year's all confirmed; this year's: needs written for 85%, confirmed in
            # the season for 75% (a few before it opened: last season's, not counted).
            f"""INSERT INTO ledger_reviews (household_id, year, needs, reviewed_at, reviewed_by)
               SELECT h, $Y - 1, '无', make_timestamptz($Y - 1, 10, 1, 2, 0, 0, 'UTC'),
                      {holder}
               FROM generate_series(1, $N) h
               UNION ALL
               SELECT h, $Y, CASE WHEN {_pick("h * 23", 100)} < 85 THEN '助学金' END,
                      CASE WHEN {_pick("h * 29", 100)} < 75 THEN
                           (least($TODAY, make_date($Y, 8, 25) + {_pick("h * 31", 90)})
                            + time '03:00')::timestamp AT TIME ZONE 'UTC' END,
                      {holder}
               FROM generate_series(1, $N) h
               WHERE {_pick("h * 37", 100)} < 95""",
        ),
        (
            "aid_records",
            f"""INSERT INTO aid_records (household_id, member_id, year, kind, amount, note,
                                        recorded_at, recorded_by)
               SELECT h, (h - 1) * 4 + 3, $Y, 'living_allowance', 1250, '秋季学期',
                      make_timestamptz($Y, 9, 15, 2, 0, 0, 'UTC'), {holder}
               FROM generate_series(1, $N, 10) h""",
        ),
        (
            "ledger_changes",
            f"""INSERT INTO ledger_changes (household_id, member_id, field, old_value, new_value,
                                           changed_at, changed_by)
               SELECT h, NULL, 'needs', NULL, '助学金',
                      make_timestamptz($Y, 9, 10, 2, 0, 0, 'UTC'), {holder}
               FROM generate_series(2, $N, 10) h""",
        ),
        (
            "dropout_cases",
            # A case for every child whose status says so; some children back in school
            # have a closed one.
            f"""INSERT INTO dropout_cases (member_id, household_id, school_unit_id, reporter_id,
                                          reason, since, state, closing, reported_at,
                                          acknowledged_at, confirmed_at, closed_at)
               SELECT m.id, m.household_id, 6 + v.township_id,
                      least($C, (m.household_id - 1) / 5 + 1),
                      (ARRAY['poverty','learning','work','marriage','illness','family',
                             'distance','other'])[{_pick("m.id", 8)} + 1],
                      $TODAY - 20 - {_pick("m.id * 3", 60)}, st, cl,
                      rep, CASE WHEN st <> 'reported' THEN rep + interval '2 days' END,
                      CASE WHEN st IN ('confirmed', 'closed') THEN rep + interval '6 days' END,
                      CASE WHEN st = 'closed' THEN rep + interval '15 days' END
               FROM members m
               JOIN households hh ON hh.id = m.household_id
               JOIN villages v ON v.id = hh.village_id
               CROSS JOIN LATERAL (SELECT
                   CASE WHEN m.status = 'suspected_dropout' THEN
                             CASE WHEN m.id % 2 = 0 THEN 'reported' ELSE 'acknowledged' END
                        WHEN m.status = 'dropout' THEN 'confirmed' ELSE 'closed' END AS st,
                   CASE WHEN m.status = 'enrolled' THEN 'returned' END AS cl,
                   (($TODAY - 18 - {_pick("m.id * 5", 30)}) + time '02:00')::timestamp
                       AT TIME ZONE 'UTC' AS rep) s
               WHERE m.status IN ('suspected_dropout', 'dropout')
                  OR (m.status = 'enrolled' AND m.stage IN ('primary', 'junior')
                      AND {_pick("m.id * 7", 200)} = 0)""",
        ),
        (
            "dropout_events",
            """INSERT INTO dropout_events (case_id, kind, actor_id, at, on_date, note, source)
               SELECT c.id, e.kind, c.reporter_id, e.at, (e.at AT TIME ZONE 'Asia/Shanghai')::date,
                      e.note, 'bench:' || c.id || ':' || e.kind
               FROM dropout_cases c
               CROSS JOIN LATERAL (VALUES
                   ('report', c.reported_at, NULL),
                   ('acknowledge', c.acknowledged_at, NULL),
                   ('confirm', c.confirmed_at, NULL),
                   ('persuade', CASE WHEN c.state = 'confirmed'
                                     THEN c.confirmed_at + interval '3 days' END, '家长同意返校'),
                   ('returned', c.closed_at, NULL)
               ) e(kind, at, note)
               WHERE e.at IS NOT NULL""",
        ),
    ]
    built = []
    for name, sql in steps:
        for key in sorted(values, key=len, reverse=True):
            sql = sql.replace(key, values[key])
        built.append((name, sql))
    return built


def plan_statements(today: date) -> list[tuple[str, str]]:
    """After the plan is loaded: a third of past milestones done, units' monthly reports."""
    return [
        (
            "milestones done",
            f"""UPDATE milestones SET done_at = (due_date + time '10:00')::timestamp
                                                AT TIME ZONE 'UTC'
               WHERE due_date < date '{today.isoformat()}' AND {_pick("id", 3)} = 0""",
        ),
        (
            "milestone_reports",
            f"""INSERT INTO milestone_reports (milestone_id, unit_id, month, text, done,
                                              reported_by, reported_at)
               SELECT ms.id, f.unit_id,
                      to_char(least(ms.due_date, date '{today.isoformat()}'), 'YYYY-MM'),
                      '按计划推进', {_pick("ms.id * 7 + f.unit_id", 2)} = 0, f.first,
                      (least(ms.due_date, date '{today.isoformat()}') + time '07:00')::timestamp
                          AT TIME ZONE 'UTC'
               FROM milestones ms
               CROSS JOIN (SELECT unit_id, min(id) AS first FROM cadres GROUP BY unit_id) f
               WHERE ms.due_date BETWEEN date '{today.isoformat()}' - 365
                                     AND date '{today.isoformat()}' + 60
                 AND {_pick("ms.id * 13 + f.unit_id", 100)} < 40""",
        ),
    ]


async def _load_plan(url: str, year: int) -> None:
    plan = rebase(await asyncio.to_thread(read_plan_file, default_plan_path()), year)
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            await load_plan(session, plan)
    finally:
        await engine.dispose()


async def build(url: str, households: int, *, reuse: bool) -> dict[str, int]:
    """Build (or, with `reuse`, keep) the province; the table sizes."""
    await ensure_database(url)
    name = make_url(url).database or ""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        if reuse and await built_households(connection, name) == households:
            print(f"reusing {name}: {households} households already built", file=sys.stderr)
            return await table_sizes(connection)
        await upgrade(url)
        await connection.execute(f'COMMENT ON DATABASE "{name}" IS NULL')
        await connection.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        today = datetime.now(TZ).date()
        await connection.execute("SET synchronous_commit = off")
        for step, sql in build_statements(Shape(households), today):
            await _timed_step(connection, step, sql)
        await _load_plan(url, today.year)
        for step, sql in plan_statements(today):
            await _timed_step(connection, step, sql)
        for table in ("townships", "villages", "units", "cadres", "households", "members",
                      "pairings", "household_visits", "village_visits", "ledger_reviews",
                      "dropout_cases", "dropout_events"):  # fmt: skip
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        started = time.perf_counter()
        await connection.execute("VACUUM ANALYZE")
        print(f"  vacuum analyze: {time.perf_counter() - started:.1f}s", file=sys.stderr)
        await connection.execute(
            f'COMMENT ON DATABASE "{name}" IS '
            f"'bench.scale households={households} built={today.isoformat()}'"
        )
        return await table_sizes(connection)
    finally:
        await connection.close()


async def _timed_step(connection: Any, step: str, sql: str) -> None:
    started = time.perf_counter()
    status = await connection.execute(sql)
    print(f"  {step}: {status} in {time.perf_counter() - started:.1f}s", file=sys.stderr)


async def table_sizes(connection: Any) -> dict[str, int]:
    sizes = {}
    for table in TABLES:
        sizes[table] = int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
    return sizes


def print_sizes(sizes: dict[str, int]) -> None:
    print("| table | rows |\n|---|---:|")
    for table, rows in sizes.items():
        print(f"| {table} | {rows} |")


# ---- measuring ------------------------------------------------------------------------


@dataclass(frozen=True)
class Dates:
    """The periods the reports take by default today, as the CLI computes them."""

    today: date
    quarter_first: date
    quarter_last: date
    month_first: date
    held_at: datetime  # midnight after the quarter, local: who holds a household then
    notice_held_at: datetime  # midnight after today (the notice counts up to today)
    ledger_year: int
    ledger_opens_at: datetime
    compulsory_after: date  # members born after this and up to compulsory_until are 6-15
    compulsory_until: date
    school_year: int
    school_after: date  # children 6-14 on September 1 of the school year
    school_until: date
    ledger_reminder_day: date

    @classmethod
    def of(cls, today: date) -> Dates:
        quarter = Quarter.containing(today)
        season = ledger_season(min(today, quarter.last_day), (9, 1))
        after, until = compulsory_births(season.year)
        school_year = school_year_of(today)
        school_after, school_until = birth_window(school_year)
        # The next ledger-reminder day of the season (the plan's 11-01, 11-15, 11-25, 11-30).
        days = [date(season.year, 11, d) for d in (1, 15, 25, 30)]
        reminder_day = next((d for d in days if d >= today), days[-1])
        return cls(
            today=today,
            quarter_first=quarter.first_day,
            quarter_last=quarter.last_day,
            month_first=village_month_for(quarter, today).first_day,
            held_at=datetime.combine(quarter.last_day + timedelta(days=1), dtime.min, TZ),
            notice_held_at=datetime.combine(today + timedelta(days=1), dtime.min, TZ),
            ledger_year=season.year,
            ledger_opens_at=season_start(season.opens, TZ),
            compulsory_after=after,
            compulsory_until=until,
            school_year=school_year,
            school_after=school_after,
            school_until=school_until,
            ledger_reminder_day=reminder_day,
        )


# What domain.ledgers.ledger_missing finds wrong with a member (written out by hand).
_MEMBER_SHORT = """
    (m.status IS NULL AND (m.birth_date IS NULL
                           OR (m.birth_date > $compulsory_after
                               AND m.birth_date <= $compulsory_until)))
    OR (m.status = 'enrolled' AND (coalesce(m.stage, '') = '' OR coalesce(m.school, '') = ''
        OR (coalesce(m.grade, '') = '' AND coalesce(m.stage, '') <> 'preschool')))
    OR (m.status = 'graduated' AND coalesce(m.destination, '') = '')"""
# What Python's str.strip() removes, as a PostgreSQL E'' literal of \uXXXX escapes.
_BLANKS = "E'" + "".join(f"\\u{ord(c):04x}" for c in WHITESPACE) + "'"
_CONFIRMED = f"""SELECT household_id FROM ledger_reviews
    WHERE year = $ledger_year AND reviewed_at >= $ledger_opens_at
      AND length(btrim(needs, {_BLANKS})) > 0"""


def _held_cells(
    held_at: str, first: str, last: str, keys: str, columns: str, names: str, by_unit: bool
) -> str:
    """Held households counted per `keys` (ids): assigned, visited in [first, last], complete
    ledger; then `names` joins the names of the counted cells."""
    cadres = "JOIN cadres c ON c.id = p.cadre_id" if by_unit else ""
    return f"""
    SELECT {columns}, g.assigned, g.covered, g.ledgers_complete
    FROM (
      SELECT {keys}, count(*) AS assigned, count(vi.household_id) AS covered,
             count(*) FILTER (WHERE sh.household_id IS NULL AND cf.household_id IS NOT NULL)
                 AS ledgers_complete
      FROM pairings p
      {cadres}
      JOIN households h ON h.id = p.household_id
      JOIN villages v ON v.id = h.village_id
      LEFT JOIN (SELECT DISTINCT household_id FROM household_visits
                 WHERE visit_date BETWEEN {first} AND {last}) vi ON vi.household_id = h.id
      LEFT JOIN (SELECT DISTINCT m.household_id FROM members m WHERE {_MEMBER_SHORT}) sh
             ON sh.household_id = h.id
      LEFT JOIN ({_CONFIRMED}) cf ON cf.household_id = h.id
      WHERE p.since <= {held_at} AND (p.until IS NULL OR p.until > {held_at})
      GROUP BY {keys}
    ) g
    {names}"""


def _village_cells(last: str, group: str, columns: str) -> str:
    return f"""
    SELECT {columns}, count(*) AS assigned, count(vv.unit_id) AS covered, 0 AS ledgers_complete
    FROM unit_villages uv
    JOIN units u ON u.id = uv.unit_id
    JOIN villages v ON v.id = uv.village_id
    JOIN townships t ON t.id = v.township_id
    LEFT JOIN (SELECT DISTINCT unit_id, village_id FROM village_visits
               WHERE visit_date BETWEEN $month_first AND {last}) vv
           ON vv.unit_id = uv.unit_id AND vv.village_id = uv.village_id
    GROUP BY {group}"""


# The compliance report's figures: per (cadre, township) households and ledgers, per
# (unit, township) the month's village visits; every other level is a sum of these.
COMPLIANCE_SQL = (
    _held_cells(
        "$held_at", "$quarter_first", "$quarter_last", "p.cadre_id, v.township_id",
        "'household' AS section, c.code AS cadre_code, c.name AS cadre_name, u.code AS unit_code,"
        " u.name AS unit_name, t.code AS township_code, t.name AS township_name",
        "JOIN cadres c ON c.id = g.cadre_id JOIN units u ON u.id = c.unit_id"
        " JOIN townships t ON t.id = g.township_id",
        by_unit=False,
    )
    + "\nUNION ALL"
    + _village_cells(
        "$quarter_last", "u.id, t.id",
        "'village', '', '', u.code, u.name, t.code, t.name",
    )
)  # fmt: skip

# The notice's figures: per unit households (quarter so far), villages (month so far),
# ledgers; open dropout cases by state.
NOTICE_SQL = (
    _held_cells(
        "$notice_held_at", "$quarter_first", "$today", "c.unit_id",
        "'household' AS section, u.code AS unit_code, u.name AS unit_name",
        "JOIN units u ON u.id = g.unit_id",
        by_unit=True,
    )
    + "\nUNION ALL"
    + _village_cells("$today", "u.id", "'village', u.code, u.name")
    + """
    UNION ALL
    SELECT 'cases', state, '', count(*), 0, 0 FROM dropout_cases
    WHERE closed_at IS NULL GROUP BY state"""
)  # fmt: skip

# Schooling rates: children 6-14 of poor villages by village (the report shows each village;
# townships and the county are their sums), age stage and status.
SCHOOLING_SQL = """
    SELECT t.code, t.name, v.code, v.name,
           CASE WHEN m.birth_date > $school_after::date + interval '3 years' THEN 'primary'
                ELSE 'junior' END AS stage,
           count(*) AS children,
           count(*) FILTER (WHERE m.status IN ('enrolled', 'suspected_dropout')) AS in_school,
           count(*) FILTER (WHERE m.status = 'suspected_dropout') AS suspected,
           count(*) FILTER (WHERE m.status = 'dropout') AS dropouts,
           count(*) FILTER (WHERE m.status = 'exempted') AS exempted
    FROM members m
    JOIN households h ON h.id = m.household_id
    JOIN villages v ON v.id = h.village_id AND v.poor
    JOIN townships t ON t.id = v.township_id
    WHERE m.birth_date > $school_after AND m.birth_date <= $school_until
    GROUP BY t.id, v.id, 5"""

# The dropout lists: every child of school age in poor villages (the first list; the other two,
# suspected dropouts and dropouts, are those of its rows with that status), with their
# household and latest case, by township.
DROPOUTS_SQL = """
    SELECT t.code, v.code, h.code, h.head_name, m.name, m.sex, m.birth_date, m.status,
           m.stage, m.school, m.grade, dc.reason, dc.since
    FROM members m
    JOIN households h ON h.id = m.household_id
    JOIN villages v ON v.id = h.village_id AND v.poor
    JOIN townships t ON t.id = v.township_id
    LEFT JOIN LATERAL (SELECT reason, since FROM dropout_cases d WHERE d.member_id = m.id
                       ORDER BY d.id DESC LIMIT 1) dc ON true
    WHERE m.birth_date > $school_after AND m.birth_date <= $school_until
    ORDER BY t.code, v.code, h.code, m.birth_date"""


def bare_dropout_workbooks(rows: Sequence[Any], folder: Path) -> None:
    """The hand-written minimum of the dropout lists' files: the baseline's rows written by
    openpyxl in write-only mode, one workbook per township with the three sheets, values as
    they come (no headers' styles, no escaping, no age or stage worked out)."""
    from openpyxl import Workbook

    def save(code: str, children: list[Any]) -> None:
        book = Workbook(write_only=True)
        for title, wanted in (("all", None), ("suspected", "suspected_dropout"),
                              ("dropouts", "dropout")):  # fmt: skip
            sheet = book.create_sheet(title)
            sheet.append(["township", "village", "household", "head", "name", "sex", "born",
                          "status", "stage", "school", "grade", "reason", "since"])  # fmt: skip
            for row in children:
                if wanted is None or row[7] == wanted:
                    sheet.append(list(row))
        book.save(folder / f"bare-{code}.xlsx")

    township: str | None = None
    children: list[Any] = []
    for row in rows:
        if row[0] != township and children:
            save(str(township), children)
            children = []
        township = row[0]
        children.append(row)
    if children:
        save(str(township), children)


_REACHABLE = "c.telegram_user_id IS NOT NULL AND c.active AND c.unreachable_at IS NULL"
# What the reminder rules send on a ledger-reminder day at 09:00, one statement a rule: the
# ledger-deadline reminder (each reachable holder's households with an incomplete ledger), and
# the overdue dropout cases' (each open case past its step's due day, in the plan's zone and
# with the plan's due days: to its school's reachable people, and to the supervisors once it
# is late for the rule's escalate_after_days, or at once when it has no school).
PREVIEW_SQL = (
    f"""
    SELECT 'ledger_deadline', c.id, c.telegram_user_id, c.name, h.code, h.head_name
    FROM pairings p
    JOIN cadres c ON c.id = p.cadre_id
    JOIN households h ON h.id = p.household_id
    WHERE p.until IS NULL AND {_REACHABLE}
      AND (EXISTS (SELECT 1 FROM members m WHERE m.household_id = h.id AND ({_MEMBER_SHORT}))
           OR NOT EXISTS (SELECT 1 FROM ({_CONFIRMED}) cf WHERE cf.household_id = h.id))
    ORDER BY c.id, h.code""",
    f"""
    WITH due AS (
      SELECT (value::json->>'acknowledge_days')::int AS acknowledge,
             (value::json->>'verify_days')::int AS verify,
             (value::json->>'resolve_days')::int AS resolve
      FROM plan_settings WHERE name = 'dropout_cases'),
    escalate AS (
      SELECT (spec::json->>'escalate_after_days')::int AS days
      FROM reminder_rules WHERE name = 'dropout_overdue'),
    late AS (
      SELECT d.id, d.school_unit_id, $ledger_reminder_day - CASE d.state
          WHEN 'reported' THEN (d.reported_at AT TIME ZONE '{TZ.key}')::date + due.acknowledge
          WHEN 'acknowledged' THEN (d.acknowledged_at AT TIME ZONE '{TZ.key}')::date + due.verify
          WHEN 'confirmed' THEN (d.confirmed_at AT TIME ZONE '{TZ.key}')::date + due.resolve
        END AS days
      FROM dropout_cases d CROSS JOIN due
      WHERE d.closed_at IS NULL)
    SELECT 'dropout_overdue', c.id, c.telegram_user_id, c.name, late.id::text, 'school'
    FROM late JOIN cadres c ON c.unit_id = late.school_unit_id
    WHERE late.days > 0 AND {_REACHABLE}
    UNION ALL
    SELECT 'dropout_overdue', c.id, c.telegram_user_id, c.name, late.id::text, 'supervisors'
    FROM late CROSS JOIN escalate JOIN cadres c ON c.role IN ('supervisor', 'admin')
    WHERE late.days > 0 AND (late.days >= escalate.days OR late.school_unit_id IS NULL)
      AND {_REACHABLE}""",
)


def bare_preview_lines(rows: Sequence[Any], folder: Path) -> None:
    """The hand-written minimum of the preview's output: the baseline's rows as its lines,
    one per reminder (a holder's owed households in one line, the first ten named; an
    overdue case's line per recipient), written to a file, the count first."""
    lines: list[str] = []
    held: list[Any] = []

    def ledger_line() -> None:
        named = "、".join(f"{row[4]} {row[5]}" for row in held[:10])
        lines.append(f"ledger_deadline\t\t\t{held[0][3]}\t{len(held)}: {named}\n")

    for row in rows:
        if row[0] == "ledger_deadline":
            if held and held[0][1] != row[1]:
                ledger_line()
                held.clear()
            held.append(row)
        else:
            lines.append(f"dropout_overdue\t{row[4]}\t{row[5]}\t{row[3]}\tcase {row[4]}\n")
    if held:
        ledger_line()
    with (folder / "preview.txt").open("w", encoding="utf-8") as out:
        out.write(f"{len(lines)} reminders\n")
        out.writelines(lines)


@dataclass(frozen=True)
class Report:
    name: str
    argv: tuple[str, ...]
    baseline: Baseline
    # A report that writes files: the baseline's rows written by hand, in the same format.
    files: Callable[[Sequence[Any], Path], None] | None = None


def reports(dates: Dates, output_dir: Path) -> list[Report]:
    at = f"{dates.ledger_reminder_day.isoformat()} 09:00"
    return [
        Report("report compliance", ("report", "compliance", "--format", "json"), COMPLIANCE_SQL),
        Report("report notice", ("report", "notice", "--output-dir", str(output_dir)), NOTICE_SQL),
        Report("report schooling", ("report", "schooling", "--format", "json"), SCHOOLING_SQL),
        Report(
            "report dropouts",
            ("report", "dropouts", "--format", "xlsx", "--output-dir", str(output_dir)),
            DROPOUTS_SQL,
            bare_dropout_workbooks,
        ),
        Report(f"reminders preview --at '{at}'", ("reminders", "preview", "--at", at),
               PREVIEW_SQL, bare_preview_lines),
    ]  # fmt: skip


def bind(sql: str, dates: Dates) -> tuple[str, list[object]]:
    """Replace $name placeholders by asyncpg's $1, $2 ... with the values from `dates`."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    text = re.sub(r"\$([a-z_]+)", number, sql)
    return text, [getattr(dates, name) for name in names]


# A baseline: one statement, or several run one after the other (their rows together).
Baseline = str | tuple[str, ...]


async def _fetch_all(connection: Any, baseline: Baseline, dates: Dates) -> list[Any]:
    rows: list[Any] = []
    for sql in (baseline,) if isinstance(baseline, str) else baseline:
        text, values = bind(sql, dates)
        rows += await connection.fetch(text, *values)
    return rows


async def baseline_rows(url: str, baseline: Baseline, dates: Dates) -> list[Any]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await _fetch_all(connection, baseline, dates)
    finally:
        await connection.close()


async def time_baseline(
    url: str,
    baseline: Baseline,
    dates: Dates,
    repeat: int,
    files: Callable[[Sequence[Any], Path], None] | None = None,
) -> tuple[float, float | None]:
    """Median seconds of the statements, rows fetched, on an open connection; with `files`,
    also of the statements and those rows written to files by hand."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        times, with_files = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            rows = await _fetch_all(connection, baseline, dates)
            times.append(time.perf_counter() - started)
            if files is not None:
                with tempfile.TemporaryDirectory(prefix="cadrebot-bare-") as folder:
                    files(rows, Path(folder))
                    with_files.append(time.perf_counter() - started)
        return statistics.median(times), statistics.median(with_files) if with_files else None
    finally:
        await connection.close()


@dataclass(frozen=True)
class ChildRun:
    seconds: float
    max_rss_mb: float
    returncode: int


# Runs `cadrebot ARGS` as its console script does, and at exit writes the process's own peak
# RSS (VmHWM, of its own address space) to $CADREBOT_BENCH_HWM. The child's ru_maxrss would
# count the bench's own memory too: Linux keeps the high-water mark of the address space
# the child had before exec, a copy of this process's.
LAUNCHER = """
import atexit, os, sys
def _peak():
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["CADREBOT_BENCH_HWM"], "w") as out:
        out.write(peak)
atexit.register(_peak)
from bot.cli import main
sys.argv = ["cadrebot", *sys.argv[1:]]
sys.exit(main())
"""


def run_child(argv: Sequence[str], database_url: str) -> ChildRun:
    """One CLI run in its own process: wall time and that process's own peak RSS."""
    with tempfile.TemporaryDirectory(prefix="cadrebot-run-") as folder:
        peak_file = Path(folder) / "peak"
        env = {**os.environ, "DATABASE_URL": database_url, "CADREBOT_BENCH_HWM": str(peak_file)}
        with tempfile.TemporaryFile() as errors:
            started = time.perf_counter()
            child = subprocess.Popen(
                [sys.executable, "-c", LAUNCHER, *argv],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
            _pid, status, usage = os.wait4(child.pid, 0)
            elapsed = time.perf_counter() - started
            child.returncode = code = os.waitstatus_to_exitcode(status)
            if code != 0:
                errors.seek(0)
                sys.stderr.write(errors.read().decode(errors="replace")[-2000:])
        peak_kb = int(peak_file.read_text()) if peak_file.exists() else usage.ru_maxrss
    return ChildRun(elapsed, peak_kb / 1024, code)


def median_run(argv: Sequence[str], database_url: str, repeat: int) -> ChildRun:
    runs = sorted((run_child(argv, database_url) for _ in range(repeat)), key=lambda r: r.seconds)
    return ChildRun(
        runs[len(runs) // 2].seconds,
        max(r.max_rss_mb for r in runs),
        max(r.returncode for r in runs),
    )


@dataclass(frozen=True)
class Measured:
    name: str
    seconds: float
    startup: float  # the same command on the start-up province (STARTUP_HOUSEHOLDS)
    baseline: float
    rss_mb: float
    returncode: int
    # For a report that writes files: the baseline with its rows written by hand.
    baseline_files: float | None = None


# A province this small costs nothing to report on: what a command takes there is its fixed
# cost (interpreter, imports, connection, schema check, the notice's chart ...).
STARTUP_HOUSEHOLDS = 200


async def measure(
    url: str, startup_url: str, repeat: int, only: Sequence[str] = ()
) -> tuple[float, list[Measured]]:
    """Bare CLI start-up, then each report against its baseline, side by side; each report
    also on the start-up province, for its fixed cost."""
    dates = Dates.of(datetime.now(TZ).date())
    bare = median_run(["--help"], url, repeat)
    results = []
    with tempfile.TemporaryDirectory(prefix="cadrebot-scale-") as output:
        for report in reports(dates, Path(output)):
            if only and not any(word in report.name for word in only):
                continue
            # The first runs also bring the schema to head (a new migration) and warm the
            # caches for both sides; they are not counted.
            run_child(report.argv, startup_url)
            fixed = median_run(report.argv, startup_url, repeat)
            run_child(report.argv, url)
            run = median_run(report.argv, url, repeat)
            base, base_files = await time_baseline(
                url, report.baseline, dates, repeat, report.files
            )
            measured = Measured(
                report.name,
                run.seconds,
                fixed.seconds,
                base,
                run.max_rss_mb,
                run.returncode,
                base_files,
            )
            results.append(measured)
            print(f"  {report.name}: {run.seconds:.2f}s (start-up {fixed.seconds:.2f}s, "
                  f"baseline {base:.3f}s), {run.max_rss_mb:.0f} MB", file=sys.stderr)  # fmt: skip
    return bare.seconds, results


def print_measures(households: int, bare: float, results: list[Measured]) -> None:
    print(
        f"\n{households} households; bare CLI start-up (`cadrebot --help`): {bare:.2f}s; "
        f"start-up = the same command on a {STARTUP_HOUSEHOLDS}-household province"
    )
    print(
        "| report | seconds | start-up s | baseline SQL s | (seconds - start-up) / baseline "
        "| peak RSS MB |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    files = []
    for r in results:
        failed = "" if r.returncode == 0 else f" (exit {r.returncode})"
        print(
            f"| {r.name}{failed} | {r.seconds:.2f} | {r.startup:.2f} | {r.baseline:.3f} | "
            f"{max(r.seconds - r.startup, 0) / r.baseline:.2f} | {r.rss_mb:.0f} |"
        )
        if r.baseline_files is not None:
            files.append(r)
    if files:
        print(
            "\nReports with bulky output (files; a line per reminder), against the baseline's"
            " rows written out by hand:"
        )
        print("| report | seconds - start-up | baseline SQL + files s | ratio |")
        print("|---|---:|---:|---:|")
        for r in files:
            assert r.baseline_files is not None
            past = max(r.seconds - r.startup, 0)
            print(
                f"| {r.name} | {past:.2f} | {r.baseline_files:.2f} | "
                f"{past / r.baseline_files:.2f} |"
            )


def size_url(url: str, households: int, default: int) -> str:
    """The database of one size in --sizes: the given one for the default size, else
    `<name>_<households>` on the same server (never rebuilding another size's)."""
    if households == default:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{households}").render_as_string(
        hide_password=False
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database if built with N households"
    )
    parser.add_argument("--build-only", action="store_true", help="build, print sizes, stop")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (median)")
    parser.add_argument(
        "--sizes", help="comma-separated household counts: build and measure each, then growth"
    )
    parser.add_argument("--only", help="comma-separated words: the reports whose name has one")
    return parser.parse_args(argv)


async def main_async(args: argparse.Namespace) -> int:
    only = [word for word in (args.only or "").split(",") if word]
    startup_url = size_url(args.database_url, STARTUP_HOUSEHOLDS, args.households)
    sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else [args.households]
    if not args.build_only:
        await build(startup_url, STARTUP_HOUSEHOLDS, reuse=True)
    growth: list[tuple[int, list[Measured]]] = []
    for households in sizes:
        url = size_url(args.database_url, households, args.households)
        print_sizes(await build(url, households, reuse=args.reuse))
        if args.build_only:
            continue
        bare, results = await measure(url, startup_url, args.repeat, only)
        print_measures(households, bare, results)
        growth.append((households, results))
    print_growth(growth)
    failed = any(r.returncode for _, results in growth for r in results)
    return 1 if failed else 0


def print_growth(growth: list[tuple[int, list[Measured]]]) -> None:
    """Seconds past start-up per size, and how much they grew against the households
    (1.0 = linear)."""
    if len(growth) < 2:
        return
    (first, base), last = growth[0], growth[-1][0]
    sizes = " | ".join(f"{n} households: s past start-up" for n, _ in growth)
    print(f"\n| report | {sizes} | growth / households growth |")
    print("|---|" + "---:|" * (len(growth) + 1))
    for index, row in enumerate(base):
        past = [max(results[index].seconds - results[index].startup, 1e-3) for _, results in growth]
        factor = (past[-1] / past[0]) / (last / first)
        print(f"| {row.name} | " + " | ".join(f"{t:.2f}" for t in past) + f" | {factor:.2f} |")


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
