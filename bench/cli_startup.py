"""`cadrebot --help` against `cadrebot report compliance --format json`, each a new process.

    .venv/bin/python -m bench.cli_startup [--rounds 5] [--size medium]

Builds the demo county (--size) into a temporary SQLite file with `cadrebot demo`, then
runs the commands in alternation, --rounds times each, as an administrator would: one
process per command, through the installed `cadrebot` script. Figures are the median
wall-clock seconds, and CPU seconds (user + system: less swayed by other work on the
machine), each with its ratio to `--help` (the goal for the report is at most 3x).
`db upgrade` shows the cost of opening a database already at head.

Two ways Python may start: with its bytecode cache (as any installed program runs; kept in
a temporary PYTHONPYCACHEPREFIX, warmed by one untimed run) and compiling every module of
ours each time (PYTHONDONTWRITEBYTECODE=1, as in some sandboxes). Last, whether the report
imported aiogram (it should not: it never talks to Telegram).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

COMMANDS = {
    "cadrebot --help": ["--help"],
    "cadrebot db upgrade": ["db", "upgrade"],
    "cadrebot report compliance --format json": ["report", "compliance", "--format", "json"],
}
BASELINE = "cadrebot --help"
REPORT = "cadrebot report compliance --format json"
PROBE = (
    "import sys; from bot.cli import main; main(sys.argv[1:]); "
    "print('aiogram' in sys.modules, file=sys.stderr)"
)


def cadrebot_command() -> list[str]:
    """The installed console script next to this interpreter, else the same entry point."""
    script = Path(sys.executable).with_name("cadrebot")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]


def run(argv: Sequence[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv), env=env, cwd=cwd, capture_output=True, text=True, check=True, timeout=600
    )


def timed(argv: Sequence[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall-clock, CPU) seconds of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run(argv, env, cwd)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def environments(folder: Path) -> dict[str, dict[str, str]]:
    """The same settings, with and without a bytecode cache."""
    base = {key: value for key, value in os.environ.items() if key != "BOT_TOKEN"}
    base["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    cached = {k: v for k, v in base.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cached["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return {"cached": cached, "compiled": {**base, "PYTHONDONTWRITEBYTECODE": "1"}}


def main(rounds: int, size: str) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)  # also the working directory: no stray .env
        envs = environments(folder)
        cadrebot = cadrebot_command()
        demo_seconds, _ = timed([*cadrebot, "demo", "--size", size], envs["cached"], folder)
        print(f"demo county ({size}) built in {demo_seconds:.1f} s")
        for argv in COMMANDS.values():  # warm the bytecode cache, untimed
            run([*cadrebot, *argv], envs["cached"], folder)
        seconds: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(rounds):  # alternate, so a busy moment of the machine hits all alike
            for mode, env in envs.items():
                for command, argv in COMMANDS.items():
                    elapsed = timed([*cadrebot, *argv], env, folder)
                    seconds.setdefault((command, mode), []).append(elapsed)
        probe = run([sys.executable, "-c", PROBE, *COMMANDS[REPORT]], envs["cached"], folder)
        imported = probe.stderr.strip().splitlines()[-1] == "True"
    wall = {key: statistics.median(w for w, _ in times) for key, times in seconds.items()}
    cpu = {key: statistics.median(c for _, c in times) for key, times in seconds.items()}
    print(f"\nCLI start-up, {size} demo county on SQLite, median of {rounds} rounds")
    print("| command | bytecode | wall s | ratio | CPU s | ratio |")
    print("|---|---|---:|---:|---:|---:|")
    for mode in envs:
        for command in COMMANDS:
            key = (command, mode)
            print(
                f"| {command} | {mode} | {wall[key]:.2f} | {wall[key] / wall[BASELINE, mode]:.1f} "
                f"| {cpu[key]:.2f} | {cpu[key] / cpu[BASELINE, mode]:.1f} |"
            )
    print(f"\nimport aiogram: {'yes' if imported else 'no'} ({REPORT.removeprefix('cadrebot ')})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", choices=["small", "medium", "full"], default="medium")
    arguments = parser.parse_args()
    main(arguments.rounds, arguments.size)
