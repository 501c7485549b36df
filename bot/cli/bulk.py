"""Reports that make a province's worth of small objects at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Run a report with Python's cyclic garbage collector paused.

    A province's report makes hundreds of thousands of small objects (rows, figures, pieces
    of text) and keeps them to the end; with the collector on, each collection walks all the
    live ones again, so the time grew faster than the households. Reports make no cycles:
    reference counting frees everything as before."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
