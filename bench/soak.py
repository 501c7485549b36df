"""Soak: the fuzz of tests/e2e/test_fuzz.py as one long seeded random stream on one bot.

    .venv/bin/python -m bench.soak [--updates 10000] [--seed 1] [--show 5]

One bot (SQLite, the fake Bot API server over HTTP) runs from start to end while six people
(cadres of every role and a stranger) send commands with random arguments, free text (long,
HTML-like, SQL-like, Unicode, empty), press real buttons once or twice and forge or replay
callback data; each step waits until the bot is idle. It stops by itself after --updates
updates (or at the first step the bot never finishes), then prints what broke the
invariants: exceptions that reached the dispatcher or were logged at ERROR, Bot API calls
Telegram would refuse, writes outside the writer's scope, callback queries not answered
exactly once, and household codes or names shown outside a person's scope. Exit status 1
when any count is not zero. The same bot under kill -9 and dropped database connections:
`bench/soak_faults.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from tests.e2e.fuzzing import (
    Findings,
    Fuzzer,
    build_template,
    check_all,
    copy_database,
    error_log,
    fuzzed_bot,
)

T = TypeVar("T")
# Characters random text is drawn from: ASCII, controls, CJK, emoji, RTL, combining marks.
RANGES: tuple[tuple[int, int], ...] = (
    (0x20, 0x7E),
    (0x00, 0x1F),
    (0x4E00, 0x9FFF),
    (0x1F600, 0x1F64F),
    (0x0590, 0x06FF),
)
RANGES += ((0x0300, 0x036F), (0x2000, 0x206F), (0xE000, 0xF8FF), (0x10000, 0x10FFFF))


class Seeded:
    """The fuzz's choices from a seeded Random: the same seed, the same stream."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def pick(self, options: Sequence[T]) -> T:
        return options[self._random.randrange(len(options))]

    def integer(self, low: int, high: int) -> int:
        return self._random.randint(low, high)

    def text(self, max_size: int) -> str:
        chars = []
        for _ in range(self._random.randint(0, max_size)):
            low, high = self.pick(RANGES)
            chars.append(chr(self._random.randint(low, high)))
        return "".join(chars)


async def soak(updates: int, seed: int) -> tuple[Findings, float, list[str]]:
    """Run the stream; returns the findings, the seconds it took and the last steps."""
    findings = Findings()
    src = Seeded(seed)
    with tempfile.TemporaryDirectory() as folder, error_log() as logged:
        template, scope = await build_template(Path(folder))
        logged.records.clear()
        url = copy_database(template, Path(folder) / "soak.sqlite3")
        async with fuzzed_bot(url) as (h, errors):
            fuzzer = Fuzzer(h, scope, findings)
            await h.api.wait_for_poll()
            started = time.perf_counter()
            try:
                while findings.updates < updates:
                    await fuzzer.step(src)
            except AssertionError:
                pass  # the bot never became idle: counted in findings.hangs
            seconds = time.perf_counter() - started
            await check_all(h, scope, findings, errors, logged)
            # Counted above; the harness would otherwise fail on leaving for the same calls.
            h.api.violations.clear()
            h.api.rejections.clear()
    return findings, seconds, fuzzer.log[-10:]


def print_table(findings: Findings, seconds: float, show: int) -> None:
    rows: tuple[tuple[str, int, list[str]], ...] = (
        ("updates", findings.updates, []),
        ("callback queries", findings.callbacks, []),
        ("edits answered 'not modified' (double taps, expected)", findings.not_modified, []),
        ("unhandled", len(findings.unhandled), findings.unhandled),
        ("rejected Bot API calls", len(findings.rejected), findings.rejected),
        ("unauthorized writes", len(findings.unauthorized), findings.unauthorized),
        ("unanswered callbacks", len(findings.unanswered), findings.unanswered),
        ("leaks", len(findings.leaks), findings.leaks),
        ("hangs", len(findings.hangs), findings.hangs),
    )
    print(f"\nSoak: fuzzed updates through the real Dispatcher, {seconds:.0f} s")
    print("| measure | count |")
    print("|---|---:|")
    for name, count, _ in rows:
        print(f"| {name} | {count} |")
    for name, _, items in rows:
        for item in items[:show]:
            print(f"- {name}: {item}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", type=int, default=5, help="examples shown of each problem")
    arguments = parser.parse_args()
    findings, seconds, last = asyncio.run(soak(arguments.updates, arguments.seed))
    print_table(findings, seconds, arguments.show)
    if findings.hangs:
        print("last steps before the hang:", *last, sep="\n  ")
    return 1 if findings.problems else 0


if __name__ == "__main__":
    sys.exit(main())
