"""/help per person: exactly the commands of the menu set for their chat, notes last."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import CADRE_TG, HEAD_TG, OTHER_CADRE_TG, SUPERVISOR_TG, Harness

COMMAND_AT_LINE_START = re.compile(r"^/(\w+)", re.M)
EVERYONE = {
    "mystatus",
    "visit",
    "village",
    "households",
    "ledger",
    "deadlines",
    "compliance",
    "dropout",
    "cases",
    "reminders",
    "lang",
    "help",
    "cancel",
}


def chat_menu(harness: Harness, user_id: int) -> list[str]:
    commands = harness.api.commands({"type": "chat", "chat_id": user_id})
    assert commands is not None, "no menu was set for this person's chat"
    return [command["command"] for command in commands]


@pytest.mark.parametrize(
    ("cadre_code", "extra"),
    [
        ("C1", set()),  # a cadre of a section
        ("C3", {"schooling"}),  # a cadre of a central school: the township's rates
        ("H1", {"progress"}),  # a unit head
        ("S1", {"notice", "schooling"}),  # a supervisor
    ],
)
async def test_help_lists_exactly_the_persons_menu(
    harness: Harness, cadre_code: str, extra: set[str]
) -> None:
    user_id = OTHER_CADRE_TG
    await harness.register(user_id, cadre_code)
    registered_menu = chat_menu(harness, user_id)  # set at registration already
    [reply] = await harness.say(user_id, "/help")
    listed = COMMAND_AT_LINE_START.findall(reply["text"])
    assert listed == chat_menu(harness, user_id) == registered_menu
    assert set(listed) == EVERYONE | extra
    assert {"help", "cancel"} <= set(listed)
    lines = reply["text"].splitlines()
    last_command = max(i for i, line in enumerate(lines) if line.startswith("/"))
    assert lines[last_command].startswith("/cancel")  # role notes, if any, come after it


async def test_role_notes_close_the_list(harness: Harness) -> None:
    await harness.register(HEAD_TG, "H1", language="en")
    await harness.register(SUPERVISOR_TG, "S1", language="en")
    await harness.say_each(HEAD_TG, "/lang en")
    await harness.say_each(SUPERVISOR_TG, "/lang en")
    [head] = await harness.say(HEAD_TG, "/help")
    assert head["text"].endswith("As a unit head you see your unit's coverage by cadre.")
    [supervisor] = await harness.say(SUPERVISOR_TG, "/help")
    assert supervisor["text"].endswith(
        "As a supervisor you see the county, every unit and township."
    )


async def test_the_menu_follows_the_persons_language_and_strangers_get_the_default(
    harness: Harness,
) -> None:
    await harness.register(CADRE_TG, "C1")
    menu = harness.api.commands({"type": "chat", "chat_id": CADRE_TG})
    assert menu is not None and menu[0]["description"] == harness.zh("What I still owe")
    await harness.say(CADRE_TG, "/lang en")
    menu = harness.api.commands({"type": "chat", "chat_id": CADRE_TG})
    assert menu is not None and menu[0]["description"] == "What I still owe"
    default = harness.api.commands(None, "")
    assert default is not None
    assert {c["command"] for c in default} == EVERYONE  # nobody's role-only commands
    await harness.say(1999, "/help")  # a stranger: the roster notice, no menu of their own
    assert harness.api.commands({"type": "chat", "chat_id": 1999}) is None
