"""Property-based fuzz of the real Dispatcher (issue 10): Hypothesis draws sequences of
updates from six people (cadres of every role and a stranger): every command with random
arguments, free text (long, HTML-like, SQL-like, Unicode, empty), real buttons pressed once
or twice, forged and replayed callback data. After each sequence the invariants of
tests/e2e/fuzzing.py must hold.

Each example runs a fresh bot on a copy of one prepared database, so a failing example
replays (and shrinks) exactly. The budget is fixed for CI; set CADREBOT_FUZZ_EXAMPLES (and
CADREBOT_FUZZ_STEPS, the most steps of one example) to run longer. bench/soak.py runs the
same fuzz as one long random stream.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import CADRE_TG, STRANGER_TG
from tests.e2e.fuzzing import (
    ErrorLog,
    Findings,
    Fuzzer,
    Scope,
    build_template,
    check_all,
    copy_database,
    describe,
    error_log,
    fuzzed_bot,
)

T = TypeVar("T")
EXAMPLES = int(os.environ.get("CADREBOT_FUZZ_EXAMPLES", "35"))
MAX_STEPS = int(os.environ.get("CADREBOT_FUZZ_STEPS", "40"))


class Drawn:
    """The fuzz's choices drawn from Hypothesis, so a failure shrinks to few, simple steps."""

    def __init__(self, data: st.DataObject) -> None:
        self._data = data

    def pick(self, options: Sequence[T]) -> T:
        return self._data.draw(st.sampled_from(options))

    def integer(self, low: int, high: int) -> int:
        return self._data.draw(st.integers(min_value=low, max_value=high))

    def text(self, max_size: int) -> str:
        return self._data.draw(st.text(max_size=max_size))


async def one_example(url: str, scope: Scope, src: Drawn, logged: ErrorLog) -> Fuzzer:
    findings = Findings()
    async with fuzzed_bot(url) as (h, errors):
        fuzzer = Fuzzer(h, scope, findings)
        await h.api.wait_for_poll()
        for _ in range(src.integer(1, MAX_STEPS)):
            await fuzzer.step(src)
        await check_all(h, scope, findings, errors, logged)
        # Raised here, before the harness's own checks on leaving, to name the updates.
        assert not findings.problems, describe(fuzzer)
    return fuzzer


def test_random_and_forged_updates_keep_every_invariant(tmp_path: Path) -> None:
    totals = Findings()
    runs = itertools.count()
    with asyncio.Runner() as runner, error_log() as logged:
        template, scope = runner.run(build_template(tmp_path))
        assert not logged.records, logged.records
        # A cadre's scope is their own households; the stranger's is empty.
        assert scope.visible[CADRE_TG] == {"H001", "H002", "H003", "H004"}
        assert scope.visible[STRANGER_TG] == frozenset()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(st.data())
        def fuzz(data: st.DataObject) -> None:
            path = tmp_path / f"run{next(runs)}.sqlite3"
            fuzzer = runner.run(
                one_example(copy_database(template, path), scope, Drawn(data), logged)
            )
            totals.updates += fuzzer.findings.updates
            totals.callbacks += fuzzer.findings.callbacks

        fuzz()
    print(f"fuzz: {totals.updates} updates, {totals.callbacks} callback queries, 0 problems")
    assert totals.updates >= EXAMPLES
