"""Texts used by more than one router."""

from __future__ import annotations

from domain.roles import Role
from ui.i18n import N_
from ui.views.help import help_text as help_text

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
