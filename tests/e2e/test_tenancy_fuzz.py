"""Fuzz of the boundary between counties: every command and button of one county's bot, with
the other county's codes, ids, names, invites and buttons, must neither read nor write the
other county (tests/e2e/tenancy_fuzzing.py says what counts as crossing).

Counties jia and yi run in one polling process. First jia's bot is driven: a sweep (every
command with the other county's arguments, every action kind with the other county's ids,
the other county's invites), then a seeded random stream of commands, free text, pressed,
forged and replayed buttons (the replays taken from yi's bot's messages). Then the same at
yi's bot. The other county's schema is compared before and after each; the checks of the
single-county fuzz run on each bot too. Then the checks check themselves: a deliberate
write to the other schema and a yi-only name sent by jia's bot must be found.

Longer: CADREBOT_TENANCY_FUZZ_STEPS (random steps per county), CADREBOT_TENANCY_FUZZ_SEED.
"""

from __future__ import annotations

import os

from sqlalchemy import text

from bench.soak import Seeded
from tests.e2e.conftest import CADRE_TG
from tests.e2e.counties import A, B
from tests.e2e.fuzzing import error_log
from tests.e2e.tenancy_fuzzing import (
    CountyFuzzer,
    TenancyFindings,
    changes,
    check_county,
    check_names,
    digests,
    fuzzed_counties,
    names_of,
    other,
    prepare,
    schema_digest,
    schema_text,
    typed_to,
)

STEPS = int(os.environ.get("CADREBOT_TENANCY_FUZZ_STEPS", "150"))
SEED = int(os.environ.get("CADREBOT_TENANCY_FUZZ_SEED", "20261128"))


async def test_no_county_reads_or_writes_another_through_any_command_or_button() -> None:
    findings = TenancyFindings()
    log: list[str] = []
    with error_log() as logged:
        async with fuzzed_counties() as (counties, errors):
            worlds = await prepare(counties)
            engine = counties.running.engine
            # Both counties hold what the fuzz reaches for: people, visits, cases, children.
            for world in worlds.values():
                assert len(world.ids["dropout_cases"]) == 2 and world.ids["members"], world
            assert set(worlds[B].codes) - set(worlds[A].codes) == {"H009", "H010"}
            wrote_own: dict[str, bool] = {}
            for slug in (A, B):
                untouched = other(slug)
                before = await digests(engine, untouched)
                own_before = await digests(engine, slug)
                fuzzer = CountyFuzzer(counties, slug, worlds, findings)
                src = Seeded(SEED + (slug == B))
                await fuzzer.sweep(src)
                for _ in range(STEPS):
                    await fuzzer.step(src)
                after = await digests(engine, untouched)
                findings.cross += [
                    f"while {slug}'s bot ran, county_{untouched} changed: {change}"
                    for change in changes(before, after)
                ]
                await check_county(counties, slug, findings, errors, logged)
                wrote_own[slug] = bool(changes(own_before, await digests(engine, slug)))
                log += fuzzer.log
            problems = findings.problems
            shown = "\n  ".join(log[-40:])
            assert problems == [], (
                f"{len(problems)} findings:\n  " + "\n  ".join(problems[:30])
            ) + f"\nlast updates:\n  {shown}"
            # The fuzz did write (wrong invites are counted, at least): in its own county.
            assert wrote_own == {A: True, B: True}, wrote_own
            # The checks find what they look for: a write to yi's schema (undone) ...
            async with engine.connect() as connection, connection.begin() as transaction:
                before = await schema_digest(connection, f"county_{B}")
                await connection.execute(
                    text(f'UPDATE "county_{B}".households SET size = size + 1 WHERE id = 1')
                )
                written = changes(before, await schema_digest(connection, f"county_{B}"))
                await transaction.rollback()
            assert [change.split(":")[0] for change in written] == ["households"], written
            # ... and a yi-only name in a message of jia's bot (one C1 did not type to it).
            api = counties.apis[A]
            typed = typed_to(api).get(CADRE_TG, "")
            stored = await schema_text(engine, A)
            yi_only = [n for n in names_of(B) if n not in typed and n not in stored]
            assert yi_only and not set(yi_only) & set(names_of(A)), yi_only
            assert check_names(api, A, yi_only, stored) == []
            await counties.county(A).bot.send_message(CADRE_TG, f"户主3 / {yi_only[0]}")
            [leak] = check_names(api, A, yi_only, stored)
            assert repr(yi_only[0]) in leak and str(CADRE_TG) in leak, leak
    print(
        f"tenancy fuzz: {findings.updates} updates, {findings.callbacks} callback queries, "
        "0 cross-county reads or writes"
    )
    assert findings.updates >= 2 * STEPS
