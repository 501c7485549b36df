"""Purging what is past retention: evidence photo copies and the webhook's update log.

Nothing outside the evidence folder is ever removed: each file's path and its folder are
resolved (links followed) and must lie inside the resolved folder, so a link leading out of
it (a file or a month folder) is reported and left, never followed. A file that cannot be
removed (permissions) is reported and the rest goes on. The photo rows stay (Telegram's file
id, the visit): only their `saved_path` is cleared once the copy is gone, so the database
never points at a missing file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from domain.retention import evidence_month, month_folder, month_past, within
from services.transaction import unit_of_work
from storage import evidence as repo
from storage.processed_updates import count_processed_before, purge_processed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unremoved:
    """A file past retention that stays, and why (permissions, a link out of the folder)."""

    path: str
    reason: str


@dataclass(frozen=True)
class EvidencePurge:
    """What a purge of the evidence folder removed (or, in a dry run, would remove)."""

    folder: Path
    before: date
    files: int = 0
    bytes: int = 0
    photos_forgotten: int = 0  # photo rows whose copy is gone (also those found missing)
    unlisted_files: int = 0  # of `files`: copies no photo row named (a month wholly past)
    left: tuple[Unremoved, ...] = ()


@dataclass
class _Tally:
    files: int = 0
    size: int = 0
    unlisted: int = 0
    left: list[Unremoved] = field(default_factory=list)


async def purge_evidence(
    session: AsyncSession, folder: Path, before: date, *, dry_run: bool
) -> EvidencePurge:
    """Remove the copies of photos of visits dated before `before`, then any other copy in
    a month folder wholly before it (a copy whose row was never written); clear the rows'
    paths. `dry_run`: count what would go, change nothing."""
    async with unit_of_work(session):
        copies = await repo.copies_of_visits_before(session, before)
    tally, forgotten = await asyncio.to_thread(_remove_copies, folder, copies, before, dry_run)
    if forgotten and not dry_run:
        async with unit_of_work(session):
            await repo.forget_copies(session, forgotten)
    return EvidencePurge(
        folder=folder,
        before=before,
        files=tally.files,
        bytes=tally.size,
        photos_forgotten=len(forgotten),
        unlisted_files=tally.unlisted,
        left=tuple(tally.left),
    )


async def purge_update_log(session: AsyncSession, before: datetime, *, dry_run: bool) -> int:
    """Forget webhook update records claimed before `before`; how many (would) go."""
    if dry_run:
        return await count_processed_before(session, before)
    return await purge_processed(session, before)


def _remove_copies(
    folder: Path, copies: Sequence[repo.SavedCopy], before: date, dry_run: bool
) -> tuple[_Tally, list[int]]:
    """The file work, in a worker thread: the rows' copies, then the unlisted ones."""
    root = folder.resolve()
    tally = _Tally()
    forgotten: list[int] = []
    seen: set[Path] = set()
    for copy in copies:
        path = Path(copy.saved_path)
        seen.add(_absolute(path))
        # A copy already gone (an earlier purge, by hand) is only forgotten.
        if not os.path.lexists(path) or _remove(root, path, tally, dry_run):
            forgotten.append(copy.photo_id)
    for path in _month_copies(root, folder, before):
        if _absolute(path) not in seen and _remove(root, path, tally, dry_run):
            tally.unlisted += 1
    if not dry_run:
        _drop_empty_months(folder, before)
    return tally, forgotten


def _absolute(path: Path) -> Path:
    """The path made absolute and its `..` folded, links not followed (to compare paths)."""
    return Path(os.path.abspath(path))


def _remove(root: Path, path: Path, tally: _Tally, dry_run: bool) -> bool:
    """Unlink one copy if it lies inside the folder; counted in `tally` either way."""
    refusal = _outside(root, path)
    if refusal is not None:
        tally.left.append(Unremoved(str(path), refusal))
        logger.info("evidence purge left %r: %s", str(path), refusal)
        return False
    try:
        size = path.lstat().st_size
        if not dry_run:
            path.unlink()
    except FileNotFoundError:
        return True
    except OSError as error:
        reason = error.strerror or type(error).__name__
        tally.left.append(Unremoved(str(path), reason))
        logger.info("evidence purge could not remove %r: %r", str(path), error)
        return False
    tally.files += 1
    tally.size += size
    return True


def _outside(root: Path, path: Path) -> str | None:
    """Why `path` must not be removed (it or its folder leads out of `root`), or None."""
    try:
        folder, target = path.parent.resolve(), path.resolve()
    except (OSError, RuntimeError) as error:  # a loop of links
        return f"cannot be resolved ({error})"
    if not (folder == root or within(root, folder)):
        return f"outside the evidence folder {root} (its folder is {folder})"
    if not within(root, target):
        return f"a link out of the evidence folder {root} (to {target})"
    return None


def _month_copies(root: Path, folder: Path, before: date) -> Iterable[Path]:
    """Copies (by their name) in the `yyyy/mm` folders wholly before `before`; a folder
    that is a link is listed too, for `_remove` to refuse each of its files."""
    if not folder.is_dir():
        return
    for year in sorted(folder.iterdir()):
        if not year.is_dir():
            continue
        for month in sorted(year.iterdir()):
            if not month.is_dir():
                continue
            for path in sorted(month.iterdir()):
                found = evidence_month(path.relative_to(folder))
                if found is not None and month_past(*found, before):
                    yield path


def _drop_empty_months(folder: Path, before: date) -> None:
    """Remove the past month (then year) folders left empty; never a link, never a
    folder that still holds anything."""
    if not folder.is_dir():
        return
    for year in folder.iterdir():
        if not year.is_dir() or year.is_symlink():
            continue
        for month in year.iterdir():
            found = month_folder(year.name, month.name)
            if found and month.is_dir() and not month.is_symlink() and month_past(*found, before):
                with contextlib.suppress(OSError):  # not empty: stays
                    month.rmdir()
        december = month_folder(year.name, "12")
        if december is not None and month_past(*december, before):
            with contextlib.suppress(OSError):
                year.rmdir()
