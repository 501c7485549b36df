"""Extract translatable strings into ui/locales/*/LC_MESSAGES/messages.po (Babel).

python tools/i18n.py          # update every catalog, keeping existing translations
python tools/i18n.py --check  # exit 1 if a catalog misses a string or a zh translation
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "ui" / "locales"
SOURCES = ("bot", "ui", "handlers", "services", "reminders")
# `t.plural(singular, plural, n)` and `N_plural(singular, plural)` make plural entries.
KEYWORDS = {"t": None, "N_": None, "_": None, "plural": (1, 2), "N_plural": (1, 2)}


def extract() -> Catalog:
    template = Catalog(project="cadrebot", charset="utf-8")
    for folder in SOURCES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if message:
                template.add(message, locations=[(f"{folder}/{filename}", lineno)])
    return template


def _translated(message: Message, catalog: Catalog) -> bool:
    """Every form filled in: msgstr, or msgstr[0..n-1] of a plural entry (zh has n = 1)."""
    if isinstance(message.string, (tuple, list)):
        forms = list(message.string)[: catalog.num_plurals]
        return len(forms) == catalog.num_plurals and all(forms)
    return bool(message.string)


def _plural_changed(message: Message, catalog: Catalog) -> bool:
    """The source made a string plural (or plain) but the catalog has the other kind."""
    entry = catalog.get(message.id)
    return entry is not None and entry.pluralizable != message.pluralizable


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
        missing += [m.id for m in template if m.id and _plural_changed(m, catalog)]
        untranslated = [
            m.id
            for m in catalog
            if m.id and locale == "zh" and m.id in template and not _translated(m, catalog)
        ]
        if check:
            for message_id in missing + untranslated:
                print(f"{locale}: not translated: {message_id!r}")
            problems += len(missing) + len(untranslated)
            continue
        catalog.update(template, no_fuzzy_matching=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(
                handle,
                catalog,
                width=100,
                omit_header=False,
                sort_output=True,
                ignore_obsolete=True,
            )
        print(f"{path.relative_to(ROOT)}: {len(catalog)} messages")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(update("--check" in sys.argv))
