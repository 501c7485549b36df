"""Extract translatable strings into ui/locales/*/LC_MESSAGES/messages.po (Babel).

python tools/i18n.py          # update every catalog, keeping existing translations
python tools/i18n.py --check  # exit 1 if a catalog misses a string or a zh translation
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "ui" / "locales"
SOURCES = ("bot", "ui", "handlers", "services", "reminders")
KEYWORDS = {"t": None, "N_": None, "_": None}


def extract() -> Catalog:
    template = Catalog(project="cadrebot", charset="utf-8")
    for folder in SOURCES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if message:
                template.add(message, locations=[(f"{folder}/{filename}", lineno)])
    return template


def update(check: bool) -> int:
    template = extract()
    problems = 0
    for locale in ("zh", "en"):
        path = LOCALES / locale / "LC_MESSAGES" / "messages.po"
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=locale)
        else:
            catalog = Catalog(locale=locale, project="cadrebot", charset="utf-8")
        missing = [m.id for m in template if m.id and m.id not in catalog]
        untranslated = [
            m.id for m in catalog if m.id and not m.string and locale == "zh" and m.id in template
        ]
        if check:
            for message_id in missing + untranslated:
                print(f"{locale}: not translated: {message_id!r}")
            problems += len(missing) + len(untranslated)
            continue
        catalog.update(template, no_fuzzy_matching=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, sort_output=True)
        print(f"{path.relative_to(ROOT)}: {len(catalog)} messages")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(update("--check" in sys.argv))
