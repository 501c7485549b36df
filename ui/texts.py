"""Texts used by more than one router."""

from __future__ import annotations

from domain.roles import Role
from ui.i18n import N_, Translator

NOT_ON_ROSTER = N_(
    "This bot is only for paired cadres on the county roster. "
    "Ask your unit's administrator for a one-time invite link and open it here."
)

ROLE_NAMES = {
    Role.CADRE: N_("paired cadre"),
    Role.UNIT_HEAD: N_("unit head"),
    Role.SUPERVISOR: N_("supervisor"),
    Role.ADMIN: N_("administrator"),
}


def help_text(t: Translator, role: Role) -> str:
    lines = [
        t("What you can do:"),
        t("/mystatus \u2014 what I still owe: visits, my unit's village, deadlines"),
        t("/visit \u2014 log a household visit (or /visit CODE [YYYY-MM-DD] [note])"),
        t(
            "/village \u2014 log your unit's monthly visit to its village "
            "(or /village [YYYY-MM-DD] [what was discussed])"
        ),
        t("/households \u2014 my households and this quarter's coverage"),
        t("/ledger [CODE] \u2014 a household's ledger: members, schooling, aid, needs; review it"),
        t("/deadlines \u2014 my unit's milestones, nearest first"),
        t("/compliance \u2014 visit coverage this quarter (or /compliance 2026-Q3)"),
        t("/dropout \u2014 report a child out of school (or /dropout CODE CHILD [reason])"),
        t("/cases \u2014 dropout cases I reported or can act on, overdue first"),
        t("/lang \u2014 \u4e2d\u6587 / English"),
        t("/cancel \u2014 stop what you are doing"),
    ]
    if role in (Role.SUPERVISOR, Role.ADMIN):
        lines.insert(8, t("As a supervisor you see the county, every unit and township."))
        lines.insert(8, t("/schooling \u2014 enrolment and dropout rates, places below threshold"))
    elif role is Role.UNIT_HEAD:
        lines.insert(8, t("As a unit head you see your unit's coverage by cadre."))
        lines.insert(8, t("/progress \u2014 unit heads: monthly progress on milestones"))
    return "\n".join(lines)
