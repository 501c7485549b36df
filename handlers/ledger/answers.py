"""Typed answers: a button opens a question, the next text message answers it."""

from __future__ import annotations

from dataclasses import asdict

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from domain.errors import InputRefused
from domain.ledgers import AID_KINDS, STAGES
from handlers.callbacks import on
from handlers.context import Context
from handlers.ledger.cards import retire
from handlers.replies import replace, show, show_below
from services.ledgers import Question, open_question, save_answer
from ui.actions import LedgerAidKind, LedgerBirth, LedgerNeeds, LedgerStage
from ui.views.ledger import ledger_screen, question_view

Asking = LedgerStage | LedgerBirth | LedgerNeeds | LedgerAidKind


class LedgerFlow(StatesGroup):
    answer = State()


# The draft key of the ledger message a question was asked below.
ASKED_ON = "asked_on"


def _question(action: Asking) -> Question:
    """The question a button opens."""
    match action:
        case LedgerStage():
            return Question("school", action.member_id, action.stage)
        case LedgerBirth():
            return Question("birth", action.member_id)
        case LedgerNeeds():
            return Question("needs", action.household_id)
        case LedgerAidKind():
            return Question("aid", action.household_id, action.kind)


async def ask(query: CallbackQuery, callback_data: Asking, ctx: Context, state: FSMContext) -> None:
    """Open the question; the needs button sits on the ledger, which stays: it asks below
    (and the ledger loses its buttons once the answer brings the refreshed one)."""
    question = _question(callback_data)
    view = question_view(question, await open_question(ctx.session, ctx.actor, question), ctx.t)
    await state.set_state(LedgerFlow.answer)
    await state.set_data(asdict(question))
    if question.kind == "needs":
        if isinstance(query.message, Message):
            await state.update_data({ASKED_ON: query.message.message_id})
        await show_below(query, view)
    else:
        await replace(query, view)


async def ledger_answer(message: Message, ctx: Context, state: FSMContext) -> None:
    """Save the typed answer (a refused one leaves the question open), show the ledger."""
    question, asked_on = await _open_question(state)
    answer = message.text or ""
    view = await save_answer(ctx.session, ctx.actor, ctx.clock, ctx.rules, question, answer)
    await state.clear()
    await show(message, ledger_screen(view, ctx.t, saved=True))
    if asked_on is not None:
        await retire(message.bot, message.chat.id, asked_on)


async def _open_question(state: FSMContext) -> tuple[Question, int | None]:
    """A typed answer is only valid while its question is open; with it, the ledger message
    that asked it below, if it stays in the chat."""
    data = dict(await state.get_data())
    asked_on = data.pop(ASKED_ON, None)
    try:
        return Question(**data), asked_on if isinstance(asked_on, int) else None
    except TypeError:
        await state.clear()
        raise InputRefused("stale_button") from None


def build_router() -> Router:
    router = Router(name="ledger-answers")
    # A stage or aid kind from no button of ours falls through to the stale-button refusal.
    router.callback_query.register(ask, on(LedgerStage, F.stage.in_(STAGES)))
    router.callback_query.register(ask, on(LedgerBirth))
    router.callback_query.register(ask, on(LedgerNeeds))
    router.callback_query.register(ask, on(LedgerAidKind, F.kind.in_(AID_KINDS)))
    router.message.register(ledger_answer, LedgerFlow.answer, F.text & ~F.text.startswith("/"))
    return router
