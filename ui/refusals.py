"""Every refusal a rule can give, in words the user understands, naming the rule."""

from __future__ import annotations

from domain.errors import DomainError
from ui.i18n import N_, N_plural, Translator
from ui.render import date_text, esc, month_text, quarter_text

REFUSALS: dict[str, str] = {
    # Typed codes: the same reply whether the code exists or not (it only echoes the input).
    "not_your_household": N_(
        "No household {code} is paired with you: it does not exist or is someone else's, "
        "so nothing was done. (Rule: only your own paired households.)"
    ),
    # Button ids: nothing of the household (code, name) is shown, whether it exists or not.
    "household_not_yours": N_(
        "That household was not found among yours (it does not exist or is someone else's), "
        "so nothing was done. (Rule: only your own paired households.)"
    ),
    "control_characters": N_(
        "The text contains a control character ({char}) that cannot be stored, so nothing was "
        "done. Send it again without it. (Rule: no control characters in text.)"
    ),
    "date_format": N_(
        "\u201c{text}\u201d is not a date. Write it as YYYY-MM-DD, for example {example}. "
        "(Rule: date format.)"
    ),
    "date_not_real": N_("{text} is not a real calendar date. (Rule: a real date.)"),
    "date_future": N_(
        "{date} is in the future: a visit can only be logged once it has happened. "
        "(Rule: no future dates.)"
    ),
    "note_too_long": N_("The note is too long: at most {limit} characters. (Rule: note length.)"),
    "household_missing": N_(
        "Which household? Send /visit HOUSEHOLD_CODE [YYYY-MM-DD] [note], "
        "or just /visit to pick from your list."
    ),
    "bad_quarter": N_(
        "\u201c{text}\u201d is not a quarter. Write it as YYYY-Qn, for example 2026-Q4. "
        "(Rule: period format.)"
    ),
    "compliance_unknown_code": N_(
        "No unit, township or cadre has the code \u201c{code}\u201d. "
        "Send /compliance [YYYY-Qn] [CODE] with a code from the roster; /compliance alone lists "
        "them with their codes. (Rule: a roster code.)"
    ),
    "compliance_future_quarter": N_(
        "{quarter} has not started yet, so there is no coverage to show. "
        "(Rule: no future quarters.)"
    ),
    "compliance_focus_forbidden": N_(
        "You cannot see the coverage of {code}: supervisors see any unit, township or cadre; "
        "a unit head sees the unit's cadres. (Rule: who sees whose figures.)"
    ),
    "invite_unknown": N_(
        "This invite code is not valid. Check it, or ask your administrator for a new invite. "
        "(Rule: one-time invite.)"
    ),
    "invite_used": N_(
        "This invite code has already been used. Ask your administrator for a new one. "
        "(Rule: an invite works once.)"
    ),
    "invite_expired": N_(
        "This invite code has expired. Ask your administrator for a new one. "
        "(Rule: invites expire.)"
    ),
    "invite_throttled": N_(
        "Too many wrong codes from this account. Try again in an hour. (Rule: wrong-code limit.)"
    ),
    "stale_button": N_(
        "This button is no longer valid. Send the command again. (Rule: forged or stale button.)"
    ),
    # counties of one deployment (cadrebot tenant, --tenant): CLI refusals
    "tenant_slug": N_(
        "\u201c{slug}\u201d is not a county short name: use 2-30 characters a-z, 0-9 and _, "
        "starting with a letter. (Rule: county short name.)"
    ),
    "tenant_region": N_(
        "\u201c{region}\u201d is not a region: write it from the province down, separated by /, "
        "for example 云南省/昭通市 (at most 4 levels of 40 characters). "
        "(Rule: region path.)"
    ),
    "tenant_name": N_(
        "\u201c{name}\u201d is not a county name: 1-60 characters, no control characters. "
        "(Rule: county name.)"
    ),
    "tenant_unknown": N_(
        "No county is called \u201c{slug}\u201d; cadrebot tenant list shows them. "
        "(Rule: a registered county.)"
    ),
    "tenant_sqlite": N_(
        "Counties need PostgreSQL: a SQLite database serves one county. "
        "(Rule: counties on PostgreSQL.)"
    ),
    "tenant_required": N_(
        "This deployment serves several counties: name one with --tenant COUNTY "
        "(cadrebot tenant list shows them). (Rule: one county per command.)"
    ),
    "tenant_taken": N_(
        "A county called \u201c{slug}\u201d, or one with this bot token, is already registered. "
        "(Rule: one county per short name and per bot.)"
    ),
    "tenant_token": N_(
        "The token file does not hold a bot token (digits, a colon, then letters, digits, _ "
        "or -, as @BotFather gives it). (Rule: bot token.)"
    ),
    "tenant_timezone": N_(
        "\u201c{timezone}\u201d is not a time zone; use an IANA name such as Asia/Shanghai. "
        "(Rule: IANA time zone.)"
    ),
    "tenant_adopt_not_empty": N_(
        "County {slug} already holds rows, so the deployment's rows were not moved into it. "
        "(Rule: rows move only into an empty county.)"
    ),
    "tenant_no_county": N_(
        "No county lies in the region \u201c{region}\u201d: write the region as cadrebot tenant "
        "list shows it, from the province down. (Rule: a region with counties.)"
    ),
    "tenant_token_file": N_("The token file {path} cannot be read. (Rule: a readable token file.)"),
    "tenant_token_keys": N_(
        "CADREBOT_TOKEN_KEYS is not set, so the bot token would be stored in plain text: make a "
        "key with cadrebot tenant new-key and put it in CADREBOT_TOKEN_KEYS (or, for tenant add "
        "and set-token, pass --plain-token). (Rule: bot tokens encrypted at rest.)"
    ),
    "tenant_token_no_key": N_(
        "County {slug}'s bot token is stored encrypted, but CADREBOT_TOKEN_KEYS is not set: set "
        "it to the deployment's keys. (Rule: an encrypted token needs its key.)"
    ),
    "tenant_token_wrong_key": N_(
        "No key of CADREBOT_TOKEN_KEYS opens county {slug}'s bot token: add the key it was "
        "encrypted with (after the new one, while rotating), or give the county its token "
        "again with cadrebot tenant set-token. (Rule: an encrypted token needs its key.)"
    ),
    "tenant_bot_taken": N_(
        "The bot of this token (id {bot_id}) already serves county {slug}, so nothing was "
        "changed. (Rule: one county per bot.)"
    ),
    "bad_language": N_("Choose a language: /lang zh or /lang en."),
    # village
    "unit_not_paired": N_(
        "Your unit is not paired with a poor village, so there is no village visit to log. "
        "(Rule: only pairing units log village visits.)"
    ),
    "not_your_village": N_(
        "That village is not paired with your unit, so nothing was logged. "
        "(Rule: only your unit's own village.)"
    ),
    "several_villages": N_(
        "Your unit is paired with several villages: send /village and pick one. "
        "(Rule: say which village.)"
    ),
    # ledger
    "ledger_needs_empty": N_(
        "Type what the household needs, or \u201c无\u201d if nothing. "
        "(Rule: the needs must be filled in.)"
    ),
    "ledger_text_too_long": N_(
        "That answer is too long: {length} characters, at most {limit}. Shorten it and send "
        "it again. (Rule: ledger answer length.)"
    ),
    "ledger_school_grade_format": N_(
        "Write the school, then the grade, separated by a space, for example: 栋川小学 四年级. "
        "(Rule: an enrolled child needs a school and a grade.)"
    ),
    "ledger_bad_amount": N_(
        "\u201c{text}\u201d is not an amount. Write a positive number of yuan below 1,000,000 "
        "with at most 2 decimals, for example 1500 or 1500.50. (Rule: aid amount.)"
    ),
    "ledger_bad_birth_date": N_(
        "{date} cannot be a birth date: it is in the future or more than 120 years ago. "
        "(Rule: a real birth date.)"
    ),
    # progress
    "progress_unit_head_only": N_(
        "Only a unit head reports progress for the unit. Ask your unit head. "
        "(Rule: unit heads report progress.)"
    ),
    "progress_not_your_milestone": N_(
        "This milestone does not concern your unit, so nothing was saved. "
        "(Rule: only your unit's milestones.)"
    ),
    "progress_too_long": N_(
        "The progress text is too long: {length} characters, at most {limit}. "
        "Shorten it and send it again. (Rule: progress text length.)"
    ),
    "progress_empty": N_(
        "Type a few words about what your unit has done. (Rule: progress needs a text.)"
    ),
    # dropouts
    "dropout_case_hidden": N_(
        "This case was not found, or it is not yours to see or change. Only its reporter, the "
        "child's township central school and supervisors see a case. "
        "(Rule: who sees a dropout case.)"
    ),
    "dropout_school_only": N_(
        "Only the child's township central school (its unit head and cadres) or a supervisor "
        "takes the steps of case {case}; nothing was changed. (Rule: who acts on a dropout case.)"
    ),
    "dropout_step_not_now": N_(
        "This step cannot be taken now: case {case} has moved on or is closed. Nothing was "
        "changed; send /cases to see where it stands. (Rule: the steps of a case go in order.)"
    ),
    "dropout_bad_reason": N_(
        "\u201c{text}\u201d is not a reason on the list: 贫困 poverty, 学习困难 learning, "
        "务工 work, 婚嫁 marriage, 疾病 illness, 家庭 family, 路远 distance, 其他 other. "
        "(Rule: dropout reasons.)"
    ),
    "dropout_since_future": N_(
        "{date} is in the future: record only what has already happened. (Rule: no future dates.)"
    ),
    "dropout_text_length": N_(
        "Type between 1 and {limit} characters (you typed {length}). "
        "(Rule: length of a case answer.)"
    ),
    "dropout_usage": N_(
        "Send /dropout HOUSEHOLD_CODE CHILD_NAME [reason], or just /dropout to pick from "
        "your list. (Rule: one-line format.)"
    ),
    "dropout_not_school_child": N_(
        "{name} (born {year}, aged {age}) cannot be reported as out of school: a dropout case "
        "is for a child aged {low} to {high}. Nothing was reported. "
        "(Rule: dropout cases are for school-age children.)"
    ),
    # schooling
    "schooling_not_allowed": N_(
        "Schooling rates are for supervisors (the whole county) and central schools (their "
        "township). (Rule: rates are seen by supervisors and central schools.)"
    ),
    "schooling_no_arguments": N_(
        "/schooling takes no arguments: it always shows the current school year. "
        "(Rule: the current school year.)"
    ),
    # the administrator's commands (cadrebot invite, reassign)
    "unknown_cadre": N_(
        "No active cadre has the code {code} on the roster, so nothing was done. "
        "(Rule: a roster code.)"
    ),
    "inactive_cadre": N_(
        "{code} is no longer active on the roster, so no household was moved. "
        "(Rule: households go to an active cadre.)"
    ),
    "not_held_by_from": N_(
        "{code} does not hold {households}, so nothing was moved. "
        "(Rule: only the old holder's households move.)"
    ),
    "nothing_to_reassign": N_(
        "{code} holds no households to move, so nothing was done. "
        "(Rule: only held households move.)"
    ),
    "reassign_same_cadre": N_(
        "{code} already holds these households: name another cadre with --to. "
        "(Rule: households move to a different cadre.)"
    ),
    # notice
    "notice_supervisors_only": N_(
        "The monthly notice ranks units against each other, so only supervisors receive it. "
        "(Rule: the notice is for supervisors.)"
    ),
    "bad_month": N_(
        "\u201c{text}\u201d is not a month. Write it as YYYY-MM, for example 2026-11. "
        "(Rule: month format.)"
    ),
    "notice_future_month": N_(
        "{month} has not started yet, so there is nothing to report. (Rule: no future months.)"
    ),
}
FALLBACK = N_("That was refused. (Rule: {reason}.)")
# Refusals that count something: the singular and plural text, and the parameter counted.
PLURAL_REFUSALS: dict[str, tuple[tuple[str, str], str]] = {
    "date_too_old": (
        N_plural(
            "{date} is more than {count} day ago; the earliest date you can log today is "
            "{earliest}. (Rule: back-dating limit.)",
            "{date} is more than {count} days ago; the earliest date you can log today is "
            "{earliest}. (Rule: back-dating limit.)",
        ),
        "days",
    ),
}
# Parameters that carry a date or a month (ISO, from the rules) are shown as the reader
# expects ("2026年11月20日"); what the person typed ({text}) is echoed as typed.
DATE_PARAMS = ("date", "earliest")
MONTH_PARAMS = ("month",)
QUARTER_PARAMS = ("quarter",)


def refusal_text(error: DomainError, t: Translator) -> str:
    params = {key: _param(key, value, t) for key, value in error.params.items()}
    if error.reason in PLURAL_REFUSALS:
        (singular, plural), counted = PLURAL_REFUSALS[error.reason]
        count = int(error.params[counted])
        del params[counted]
        return t.plural(singular, plural, count, **params)
    template = REFUSALS.get(error.reason)
    if template is None:
        return t(FALLBACK, reason=error.reason)
    return t(template, **params)


def _param(key: str, value: object, t: Translator) -> str:
    """Parameters echo what the user typed; the reply is HTML, so they are escaped here, once."""
    if key in DATE_PARAMS:
        return esc(date_text(t, str(value)))
    if key in MONTH_PARAMS and isinstance(value, str) and _is_month(value):
        return esc(month_text(t, value))
    if key in QUARTER_PARAMS and isinstance(value, str) and _is_quarter(value):
        return esc(quarter_text(t, value))
    return esc(value)


def _is_quarter(value: str) -> bool:
    year, dash, number = value.partition("-Q")
    return bool(dash) and year.isdigit() and number in ("1", "2", "3", "4")


def _is_month(value: str) -> bool:
    year, dash, month = value.partition("-")
    return bool(dash) and year.isdigit() and month.isdigit() and 1 <= int(month) <= 12
