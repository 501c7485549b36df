"""Every command once: who may use it, its menu description and its /help line.

The command menu Telegram shows (bot.commands) and /help both read this list, so a command
added here appears in both; /help shows only the commands the person's role can use.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.roles import Role
from ui.i18n import N_, Translator

EVERYONE = frozenset(Role)
SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN})
UNIT_HEADS = frozenset({Role.UNIT_HEAD})


@dataclass(frozen=True)
class BotCommandEntry:
    """A command as the menu and /help describe it (texts are catalogue ids)."""

    name: str
    menu: str
    help: str
    roles: frozenset[Role] = EVERYONE


COMMANDS = (
    BotCommandEntry(
        "mystatus",
        N_("What I still owe"),
        N_("/mystatus \u2014 what I still owe: visits, my unit's village, deadlines"),
    ),
    BotCommandEntry(
        "visit",
        N_("Log a household visit"),
        N_("/visit \u2014 log a household visit (or /visit CODE [YYYY-MM-DD] [note])"),
    ),
    BotCommandEntry(
        "village",
        N_("Log the unit's village visit"),
        N_(
            "/village \u2014 log your unit's monthly visit to its village "
            "(or /village [YYYY-MM-DD] [what was discussed])"
        ),
    ),
    BotCommandEntry(
        "households",
        N_("My households and coverage"),
        N_("/households \u2014 my households and this quarter's coverage"),
    ),
    BotCommandEntry(
        "ledger",
        N_("Household ledgers"),
        N_("/ledger [CODE] \u2014 a household's ledger: members, schooling, aid, needs; review it"),
    ),
    BotCommandEntry(
        "deadlines",
        N_("Milestones near today"),
        N_("/deadlines \u2014 my unit's milestones, nearest first"),
    ),
    BotCommandEntry(
        "progress",
        N_("Report my unit's monthly progress (unit heads)"),
        N_("/progress \u2014 unit heads: monthly progress on milestones"),
        UNIT_HEADS,
    ),
    BotCommandEntry(
        "compliance",
        N_("Visit coverage this quarter"),
        N_("/compliance \u2014 visit coverage this quarter (or /compliance 2026-Q3)"),
    ),
    BotCommandEntry(
        "notice",
        N_("Monthly notice: ranking, overdue tasks (supervisors)"),
        N_(
            "/notice \u2014 the monthly notice: units ranked, overdue milestones, "
            "with a workbook and a chart (or /notice 2026-11)"
        ),
        SUPERVISORS,
    ),
    BotCommandEntry(
        "dropout",
        N_("Report a child out of school"),
        N_("/dropout \u2014 report a child out of school (or /dropout CODE CHILD [reason])"),
    ),
    BotCommandEntry(
        "cases",
        N_("Dropout cases I follow or can act on"),
        N_("/cases \u2014 dropout cases I reported or can act on, overdue first"),
    ),
    BotCommandEntry(
        "schooling",
        N_("Enrolment and dropout rates (supervisors, central schools)"),
        N_("/schooling \u2014 enrolment and dropout rates, places below threshold"),
        SUPERVISORS,
    ),
    BotCommandEntry(
        "reminders",
        N_("What I will be reminded of, and when"),
        N_("/reminders \u2014 what I will be reminded of, and when, and what I owe now"),
    ),
    BotCommandEntry(
        "lang",
        N_("Language: Chinese / English"),
        N_("/lang \u2014 \u4e2d\u6587 / English"),
    ),
    BotCommandEntry(
        "help",
        N_("What this bot can do"),
        N_("/help \u2014 this list"),
    ),
    BotCommandEntry(
        "cancel",
        N_("Stop the current step"),
        N_("/cancel \u2014 stop what you are doing"),
    ),
)

ROLE_NOTES = {
    Role.SUPERVISOR: N_("As a supervisor you see the county, every unit and township."),
    Role.ADMIN: N_("As a supervisor you see the county, every unit and township."),
    Role.UNIT_HEAD: N_("As a unit head you see your unit's coverage by cadre."),
}


def commands_for(role: Role) -> tuple[BotCommandEntry, ...]:
    """The commands this role can use, in menu order."""
    return tuple(c for c in COMMANDS if role in c.roles)


def help_text(t: Translator, role: Role) -> str:
    """/help: one line per command the role can use, then what the role sees."""
    lines = [t("What you can do:"), *(t(c.help) for c in commands_for(role))]
    note = ROLE_NOTES.get(role)
    if note is not None:
        lines += ["", t(note)]
    return "\n".join(lines)


def menu(t: Translator) -> list[tuple[str, str]]:
    """(command, description) for the menu Telegram shows to everyone, in `t`'s language."""
    return [(c.name, t(c.menu)) for c in COMMANDS]
