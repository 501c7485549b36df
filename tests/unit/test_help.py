"""/help and the command menu come from one list; /help shows what the role can use."""

from __future__ import annotations

import re

import pytest

from domain.roles import Role
from ui.i18n import Catalogs
from ui.views.help import COMMANDS, help_text, menu

COMMAND_AT_LINE_START = re.compile(r"^/(\w+)", re.M)


def _listed(role: Role, locale: str = "en") -> list[str]:
    return COMMAND_AT_LINE_START.findall(help_text(Catalogs.load("zh").translator(locale), role))


@pytest.mark.parametrize("role", list(Role))
def test_help_lists_every_command_of_the_role_in_menu_order(role: Role) -> None:
    expected = [c.name for c in COMMANDS if role in c.roles]
    assert _listed(role) == expected
    assert _listed(role, "zh") == expected


def test_each_role_sees_its_own_commands() -> None:
    assert "progress" in _listed(Role.UNIT_HEAD)
    assert "progress" not in _listed(Role.CADRE)
    for command in ("notice", "schooling", "reminders", "compliance"):
        assert command in _listed(Role.SUPERVISOR)
    assert "notice" not in _listed(Role.UNIT_HEAD)
    assert "reminders" in _listed(Role.CADRE)


def test_the_menu_holds_every_command_once_with_a_short_description() -> None:
    t = Catalogs.load("zh").translator("zh")
    names = [name for name, _ in menu(t)]
    assert names == [c.name for c in COMMANDS]
    assert len(set(names)) == len(names)
    assert names[0] == "mystatus"
    # Telegram: lower-case names of at most 32 characters, descriptions of 3-256.
    for name, description in menu(t):
        assert re.fullmatch(r"[a-z0-9_]{1,32}", name)
        assert 3 <= len(description) <= 256
        assert description != [c.menu for c in COMMANDS if c.name == name][0]  # translated
