"""Every refusal a rule can give, in words the user understands, naming the rule."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.i18n import N_, Translator
from domain.errors import DomainError
from handlers.refusal_texts import (
    dropouts,
    ledger,
    notice,
    progress,
    reminders,
    schooling,
    status,
    village,
)
from handlers.render import esc

REFUSALS: dict[str, str] = {
    "not_your_household": N_(
        "Household {code} is not paired with you, so nothing was logged. "
        "(Rule: only your own paired households.)"
    ),
    "date_format": N_(
        "\u201c{text}\u201d is not a date. Write it as YYYY-MM-DD, for example 2026-11-28. "
        "(Rule: date format.)"
    ),
    "date_not_real": N_("{text} is not a real calendar date. (Rule: a real date.)"),
    "date_future": N_(
        "{date} is in the future: a visit can only be logged once it has happened. "
        "(Rule: no future dates.)"
    ),
    "date_too_old": N_(
        "{date} is more than {days} days ago; the earliest date you can log today is {earliest}. "
        "(Rule: back-dating limit.)"
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
        "Send /compliance [YYYY-Qn] [CODE] with a code from the roster. (Rule: a roster code.)"
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
    "bad_language": N_("Choose a language: /lang zh or /lang en."),
    **village.REFUSALS,
    **ledger.REFUSALS,
    **status.REFUSALS,
    **progress.REFUSALS,
    **dropouts.REFUSALS,
    **schooling.REFUSALS,
    **reminders.REFUSALS,
    **notice.REFUSALS,
}
FALLBACK = N_("That was refused. (Rule: {reason}.)")


def refusal_text(error: DomainError, t: Translator) -> str:
    template = REFUSALS.get(error.reason)
    if template is None:
        return t(FALLBACK, reason=error.reason)
    # Parameters echo what the user typed; the reply is HTML, so they are escaped here, once.
    return t(template, **{key: esc(value) for key, value in error.params.items()})


Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class RefusalMiddleware(BaseMiddleware):
    """One place turns a rule's refusal into a reply; nothing was written by then."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        except DomainError as error:
            text = refusal_text(error, data["t"])
            if isinstance(event, CallbackQuery):
                await event.answer(text[:200], show_alert=True)
            elif isinstance(event, Message):
                await event.answer(text)
            return None
