"""Every command once: who may use it, its menu description and its /help line.

The command menus Telegram shows (the default one from bot.commands, and each registered
person's own, set for their chat) and /help all read this list: a command added here appears
in each, and a person is shown exactly the commands they may use, no more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from domain.roles import Role, receives_notice
from services.audience import Audience
from ui.i18n import N_, Translator

# Whoever the bot knows nothing about yet (a stranger, a chat without its own menu).
DEFAULT_AUDIENCE = Audience(Role.CADRE)


def everyone(audience: Audience) -> bool:
    return True


def supervisors(audience: Audience) -> bool:
    """The monthly notice ranks units against each other: supervisors only."""
    return receives_notice(audience.role)


def unit_heads(audience: Audience) -> bool:
    """A unit head reports the unit's monthly progress."""
    return audience.role is Role.UNIT_HEAD


def schooling_readers(audience: Audience) -> bool:
    """Supervisors, and central schools for their township."""
    return audience.reads_schooling


@dataclass(frozen=True)
class BotCommandEntry:
    """A command as the menu and /help describe it (texts are catalogue ids)."""

    name: str
    menu: str
    help: str
    may_use: Callable[[Audience], bool] = everyone
    # (who, help line): the first that applies replaces `help` for that person.
    help_for: tuple[tuple[Callable[[Audience], bool], str], ...] = ()

    def help_line(self, audience: Audience) -> str:
        """The /help line (a catalogue id) this person sees."""
        return next((text for who, text in self.help_for if who(audience)), self.help)


COMMANDS = (
    BotCommandEntry(
        "mystatus",
        N_("What I still owe"),
        N_(
            "/mystatus \u2014 what I still owe: visits, ledgers, my unit's village visit, "
            "milestones"
        ),
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
        unit_heads,
    ),
    BotCommandEntry(
        "compliance",
        N_("Visit coverage this quarter"),
        N_("/compliance \u2014 visit coverage this quarter (or /compliance 2026-Q3)"),
        help_for=(
            (
                supervisors,
                N_(
                    "/compliance \u2014 visit coverage this quarter by unit and township "
                    "(or /compliance 2026-Q3; add a code for one unit, township or cadre: "
                    "/compliance 2026-Q4 T06)"
                ),
            ),
            (
                unit_heads,
                N_(
                    "/compliance \u2014 your unit's visit coverage this quarter by cadre "
                    "(or /compliance 2026-Q3; add a cadre code for one cadre: "
                    "/compliance 2026-Q4 C0001)"
                ),
            ),
        ),
    ),
    BotCommandEntry(
        "notice",
        N_("Monthly notice: ranking, overdue tasks (supervisors)"),
        N_(
            "/notice \u2014 the monthly notice: units ranked, overdue milestones, "
            "with a workbook and a chart (or /notice 2026-11)"
        ),
        supervisors,
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
        schooling_readers,
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
SCHOOL_NOTE = N_("As a central school you see your township's enrolment and dropout rates.")


def commands_for(audience: Audience) -> tuple[BotCommandEntry, ...]:
    """The commands this person may use, in menu order."""
    return tuple(c for c in COMMANDS if c.may_use(audience))


def notes_for(audience: Audience) -> list[str]:
    """What the person sees beyond their own work (catalogue ids), for the end of /help."""
    notes = [ROLE_NOTES[audience.role]] if audience.role in ROLE_NOTES else []
    if audience.reads_schooling and not supervisors(audience):
        notes.append(SCHOOL_NOTE)
    return notes


def help_text(t: Translator, audience: Audience) -> str:
    """/help: one line per command the person may use, then what their role sees."""
    lines = [t("What you can do:"), *(t(c.help_line(audience)) for c in commands_for(audience))]
    notes = notes_for(audience)
    if notes:
        lines += ["", *(t(note) for note in notes)]
    return "\n".join(lines)


def menu(t: Translator, audience: Audience = DEFAULT_AUDIENCE) -> list[tuple[str, str]]:
    """(command, description) of the person's menu, in `t`'s language; by default the
    commands everyone may use (the menu of chats without their own)."""
    return [(c.name, t(c.menu)) for c in commands_for(audience)]
