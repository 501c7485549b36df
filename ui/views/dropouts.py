"""Names a dropout case shows: reasons, states, closings, step buttons, event kinds."""

from __future__ import annotations

from ui.i18n import N_

REASON_NAMES = {
    "poverty": N_("poverty"),
    "learning": N_("learning difficulty"),
    "work": N_("work"),
    "marriage": N_("marriage"),
    "illness": N_("illness or disability"),
    "family": N_("family"),
    "distance": N_("distance"),
    "other": N_("other"),
}
STATE_NAMES = {
    "reported": N_("reported, waiting for the school to acknowledge"),
    "acknowledged": N_("acknowledged, to be verified"),
    "confirmed": N_("confirmed dropout, persuasion under way"),
}
CLOSING_NAMES = {
    "not_a_dropout": N_("closed: not a dropout"),
    "returned": N_("closed: returned to school"),
    "transferred": N_("closed: transferred"),
    "exempted": N_("closed: exempted"),
    "still_out": N_("closed: still out of school"),
}
STEP_BUTTONS = {
    "acknowledge": N_("\u2714 Acknowledge"),
    "not_a_dropout": N_("Not a dropout"),
    "confirm": N_("Confirmed dropout"),
    "persuade": N_("Persuasion attempt"),
    "returned": N_("Returned to school"),
    "transferred": N_("Transferred"),
    "exempted": N_("Exempted"),
    "still_out": N_("Still out of school"),
}
EVENT_NAMES = {
    "report": N_("reported"),
    "rereport": N_("reported again"),
    "acknowledge": N_("acknowledged"),
    "not_a_dropout": N_("verified: not a dropout"),
    "confirm": N_("verified: confirmed dropout"),
    "persuade": N_("persuasion attempt"),
    "returned": N_("returned to school"),
    "transferred": N_("transferred"),
    "exempted": N_("exempted"),
    "still_out": N_("still out of school"),
}
STEP_PROMPTS = {
    "persuade": N_(
        "Case #{case}: type the outcome of the persuasion attempt (who went, what was said), "
        "optionally starting with its date YYYY-MM-DD; without a date it counts as today."
    ),
    "transferred": N_("Case #{case}: type the name of the school the child transferred to."),
    "exempted": N_("Case #{case}: type the reason for the exemption, for example illness."),
    "still_out": N_("Case #{case}: type why the child is still out of school."),
}
