"""/lang screens: the languages to pick, and the confirmation in the language picked."""

from __future__ import annotations

from ui.actions import PickLanguage
from ui.i18n import N_, Translator
from ui.view import Button, View

LANGUAGE_NAMES = {"zh": "\u4e2d\u6587", "en": "English"}
LANGUAGE_SET = N_("Language set to English.")


def choose_language_view(t: Translator) -> View:
    """One row of buttons, each language named in itself."""
    buttons = tuple(Button(name, PickLanguage(code=code)) for code, name in LANGUAGE_NAMES.items())
    return View(t("Choose your language:"), (buttons,))


def language_set_view(t: Translator) -> View:
    """Said in the new language (`t` is the picked language's translator)."""
    return View(t(LANGUAGE_SET))
