"""`cadrebot sandbox reset`: delete the local sandbox's own files, so the next `cadrebot run`
without BOT_TOKEN starts with fresh demo data. DATABASE_URL's database is never opened or
touched: a sandbox that shares its file is refused, nothing deleted."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from bot.settings import SANDBOX_DATABASE_FILE, SANDBOX_EVIDENCE_DIR, Settings

# SQLite keeps a journal or a write-ahead log beside the file while it is in use.
SQLITE_COMPANIONS = ("-journal", "-wal", "-shm")


async def execute(args: argparse.Namespace, settings: Settings) -> int:
    """`reset` (the only action): 0 when the sandbox's files are gone, 1 when refused."""
    database = SANDBOX_DATABASE_FILE
    files = [database, *(database.with_name(database.name + end) for end in SQLITE_COMPANIONS)]
    kept = _configured_paths(settings)
    shared = [p for p in [*files, SANDBOX_EVIDENCE_DIR] if p.resolve() in kept]
    if shared:
        print(
            f"refused: {shared[0]} is also this deployment's own (DATABASE_URL or "
            "CADREBOT_EVIDENCE_DIR); nothing was deleted",
            file=sys.stderr,
        )
        return 1
    removed = [str(p) for p in files if p.is_file()]
    for path in files:
        path.unlink(missing_ok=True)
    if SANDBOX_EVIDENCE_DIR.is_dir():
        shutil.rmtree(SANDBOX_EVIDENCE_DIR)
        removed.append(f"{SANDBOX_EVIDENCE_DIR}/")
    if removed:
        print("removed " + ", ".join(removed))
    else:
        print(f"nothing to remove: the sandbox has no files yet ({SANDBOX_DATABASE_FILE})")
    print("the next `cadrebot run` without BOT_TOKEN starts the sandbox with fresh demo data")
    return 0


def _configured_paths(settings: Settings) -> set[Path]:
    """The files this deployment itself uses: DATABASE_URL's SQLite file, the evidence folder."""
    paths: set[Path] = set()
    url = settings.database_url
    if url.startswith("sqlite") and ":///" in url:
        name = url.split(":///", 1)[1].split("?", 1)[0]
        if name and name != ":memory:":
            paths.add(Path(name).resolve())
    if settings.evidence_dir is not None:
        paths.add(settings.evidence_dir.resolve())
    return paths
