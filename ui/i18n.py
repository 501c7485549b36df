"""Gettext catalogs through Babel, compiled in memory from the shipped .po files."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Mark a string for extraction without translating it here."""
    return message


def N_plural(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 - as N_
    """Mark a singular/plural pair for extraction; translate it later with `t.plural`."""
    return singular, plural


@dataclass(frozen=True)
class Translator:
    """Translates for one locale; `t("Hello {name}", name=...)` fills brace placeholders."""

    locale: str
    translations: Translations

    def __call__(self, message: str, **params: Any) -> str:
        text = self.translations.gettext(message)
        return text.format(**params) if params else text

    def plural(self, singular: str, plural: str, count: int, **params: Any) -> str:
        """`t.plural("{count} day left", "{count} days left", n)`: the form for `n`, which
        fills {count}; a Chinese entry has one form (msgstr[0])."""
        text = self.translations.ngettext(singular, plural, count)
        return text.format(count=count, **params)


class Catalogs:
    """All locales, loaded once at start-up from .po files (no compiled files to ship)."""

    def __init__(self, translations: dict[str, Translations], default_locale: str) -> None:
        self._translations = translations
        self.default_locale = default_locale
        # One Translator per locale, made on first use (a rule run asks once per reminder).
        self._translators: dict[str | None, Translator] = {}

    @classmethod
    def load(cls, default_locale: str, locales_dir: Path = LOCALES_DIR) -> Catalogs:
        translations: dict[str, Translations] = {}
        for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            locale = po_path.parent.parent.name
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=locale)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            translations[locale] = Translations(buffer, domain=DOMAIN)
        return cls(translations, default_locale)

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(sorted(self._translations))

    def translator(self, locale: str | None) -> Translator:
        made = self._translators.get(locale)
        if made is None:
            chosen = locale if locale in self._translations else self.default_locale
            made = Translator(chosen, self._translations.get(chosen) or Translations())
            self._translators[locale] = made
        return made

    def locale_for(self, saved: str | None, telegram_language: str | None) -> str:
        """A saved choice wins; else English speakers get English, everyone else the default."""
        if saved in self._translations:
            return saved
        if telegram_language and telegram_language.lower().startswith("en"):
            return "en"
        return self.default_locale
