"""Fill translations into a catalog from a Python dict file: python tools/fill_po.py zh FILE."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    locale, source = sys.argv[1], sys.argv[2]
    table: dict[str, str] = runpy.run_path(source)[locale.upper()]
    path = ROOT / "ui" / "locales" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    for message in catalog:
        if message.id in table:
            message.string = table[message.id]
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True)
