"""/help and the command menus come from one list; each person sees what they may use."""

from __future__ import annotations

import re

import pytest

from domain.roles import Role
from services.audience import Audience
from ui.i18n import Catalogs
from ui.views.help import COMMANDS, help_text, menu

COMMAND_AT_LINE_START = re.compile(r"^/(\w+)", re.M)
AUDIENCES = [Audience(role, reads) for role in Role for reads in (False, True)]


def _listed(audience: Audience, locale: str = "en") -> list[str]:
    text = help_text(Catalogs.load("zh").translator(locale), audience)
    return COMMAND_AT_LINE_START.findall(text)


@pytest.mark.parametrize("audience", AUDIENCES, ids=repr)
def test_help_lists_exactly_the_menu_of_the_person_in_menu_order(audience: Audience) -> None:
    t = Catalogs.load("zh").translator("en")
    expected = [name for name, _ in menu(t, audience)]
    assert _listed(audience) == expected
    assert _listed(audience, "zh") == expected
    assert {"help", "cancel", "reminders", "mystatus"} <= set(expected)


def test_each_role_sees_its_own_commands_and_nothing_else() -> None:
    cadre = set(_listed(Audience(Role.CADRE)))
    assert cadre.isdisjoint({"progress", "notice", "schooling"})
    assert set(_listed(Audience(Role.UNIT_HEAD))) == cadre | {"progress"}
    assert set(_listed(Audience(Role.CADRE, reads_schooling=True))) == cadre | {"schooling"}
    supervisor = set(_listed(Audience(Role.SUPERVISOR, reads_schooling=True)))
    assert supervisor == cadre | {"notice", "schooling"}
    assert set(_listed(Audience(Role.ADMIN, reads_schooling=True))) == supervisor


def test_role_notes_come_after_every_command() -> None:
    t = Catalogs.load("zh").translator("en")
    for audience in AUDIENCES:
        lines = help_text(t, audience).splitlines()
        last_command = max(i for i, line in enumerate(lines) if line.startswith("/"))
        assert all(not line.startswith("/") for line in lines[last_command + 1 :])
    head = help_text(t, Audience(Role.UNIT_HEAD)).splitlines()
    assert head[-1] == "As a unit head you see your unit's coverage by cadre."
    school = help_text(t, Audience(Role.CADRE, reads_schooling=True)).splitlines()
    assert school[-1].startswith("As a central school")


def test_the_default_menu_holds_what_everyone_may_use_once_with_a_short_description() -> None:
    t = Catalogs.load("zh").translator("zh")
    names = [name for name, _ in menu(t)]
    assert names == [c.name for c in COMMANDS if c.name not in ("progress", "notice", "schooling")]
    assert len(set(names)) == len(names)
    assert names[0] == "mystatus"
    # Telegram: lower-case names of at most 32 characters, descriptions of 3-256.
    for audience in AUDIENCES:
        for name, description in menu(t, audience):
            assert re.fullmatch(r"[a-z0-9_]{1,32}", name)
            assert 3 <= len(description) <= 256
            assert description != [c.menu for c in COMMANDS if c.name == name][0]  # translated


def test_compliance_line_tells_each_role_which_codes_it_may_name() -> None:
    zh = Catalogs.load("zh").translator("zh")
    supervisor = help_text(zh, Audience(Role.SUPERVISOR)).splitlines()
    [line] = [x for x in supervisor if x.startswith("/compliance")]
    assert "/compliance 2026-Q4 T06" in line and "单位、乡镇或干部编号" in line
    head = help_text(zh, Audience(Role.UNIT_HEAD)).splitlines()
    [line] = [x for x in head if x.startswith("/compliance")]
    assert "干部编号" in line and "C0001" in line
    cadre = help_text(zh, Audience(Role.CADRE)).splitlines()
    [line] = [x for x in cadre if x.startswith("/compliance")]
    assert "编号" not in line


def test_mystatus_line_names_the_ledger() -> None:
    zh = Catalogs.load("zh").translator("zh")
    [line] = [x for x in help_text(zh, Audience(Role.CADRE)).splitlines() if "/mystatus" in x]
    assert "台账" in line and "到村工作" in line
