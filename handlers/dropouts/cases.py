"""/cases: the open cases that concern me, one case with its history, and its next steps.

A step is taken from a case card. The card drawn after a step replaces the one tapped (it
loses its buttons), and a card older than the case's last change is stale. A step that
cannot be undone (the verdict, every closing) asks "really?" first, after its typed answer.
"""

from __future__ import annotations

import contextlib

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from domain.dropouts import CONFIRM_FIRST, NEEDS_TEXT, clean_text
from handlers.callbacks import on
from handlers.context import Context
from handlers.dropouts.flow import TYPED, case_write, flow_data
from handlers.flow import new_draft_token
from handlers.replies import replace, show, show_below
from services.dropouts import case_view, check_case_step, my_cases, take_step
from ui.actions import CaseConfirm, CaseOpen, CaseStep
from ui.views.dropouts import (
    case_screen,
    cases_screen,
    step_cancelled,
    step_confirm,
    step_prompt,
    step_reply,
)


class CaseFlow(StatesGroup):
    text = State()
    confirm = State()


async def _drop_buttons(bot: Bot | None, chat_id: int, card: object) -> None:
    """The older card of the case loses its buttons: one live card acts on the case."""
    if bot is None or not isinstance(card, int):
        return
    # Too old to edit (48 hours) or already without buttons: a tap on it is stale anyway.
    with contextlib.suppress(TelegramBadRequest):
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=card, reply_markup=None)


async def cases_command(message: Message, ctx: Context, state: FSMContext) -> None:
    """Open cases I can act on or reported, overdue first."""
    await state.clear()
    cases = await my_cases(ctx.session, ctx.actor, ctx.clock, ctx.tz)
    await show(message, cases_screen(cases, ctx.t))


async def case_open(query: CallbackQuery, callback_data: CaseOpen, ctx: Context) -> None:
    view = await case_view(ctx.session, ctx.actor, callback_data.case_id, ctx.clock, ctx.tz)
    await show_below(query, case_screen(view, ctx.tz, ctx.t))


async def case_step(
    query: CallbackQuery, callback_data: CaseStep, ctx: Context, state: FSMContext
) -> None:
    """A step button: taken at once, or first its typed answer, or first "really?"."""
    case_id, step, seen = callback_data.case_id, callback_data.step, callback_data.seen
    card = query.message.message_id if isinstance(query.message, Message) else None
    if step in NEEDS_TEXT or step in CONFIRM_FIRST:
        row = await check_case_step(ctx.session, ctx.actor, case_id, step, seen)
        data = {"case_id": case_id, "step": step, "seen": seen, "card": card}
        if step in NEEDS_TEXT:
            await state.set_state(CaseFlow.text)
            await state.set_data(data)
            await show_below(query, step_prompt(case_id, step, ctx.today(), ctx.t))
            return
        draft = new_draft_token()
        await state.set_state(CaseFlow.confirm)
        await state.set_data({**data, "child": row.child_name, "draft": draft})
        await show_below(query, step_confirm(case_id, row.child_name, step, None, draft, ctx.t))
        return
    outcome = await take_step(
        ctx.session, ctx.actor, case_id, step, case_write(query, ctx), seen=seen
    )
    await show_below(query, step_reply(outcome, ctx.tz, ctx.t))
    if isinstance(query.message, Message) and not outcome.duplicate:
        await _drop_buttons(query.bot, query.message.chat.id, card)


async def case_typed_text(message: Message, ctx: Context, state: FSMContext) -> None:
    data = await flow_data(state, "case_id", "step")
    case_id, step, text = int(data["case_id"]), str(data["step"]), message.text or ""
    seen = data.get("seen")
    if step in CONFIRM_FIRST:
        note = clean_text(text)
        row = await check_case_step(ctx.session, ctx.actor, case_id, step, seen)
        draft = new_draft_token()
        await state.set_state(CaseFlow.confirm)
        await state.update_data(text=note, child=row.child_name, draft=draft)
        await show(message, step_confirm(case_id, row.child_name, step, note, draft, ctx.t))
        return
    outcome = await take_step(
        ctx.session, ctx.actor, case_id, step, case_write(message, ctx), text, seen=seen
    )
    await state.clear()
    await show(message, step_reply(outcome, ctx.tz, ctx.t))
    if not outcome.duplicate:
        await _drop_buttons(message.bot, message.chat.id, data.get("card"))


async def case_confirm(
    query: CallbackQuery, callback_data: CaseConfirm, ctx: Context, state: FSMContext
) -> None:
    """Only the confirmation acts; cancelled, the case and its card stay as they were."""
    data = await flow_data(state, "case_id", "step", token=callback_data.draft)
    case_id, step = int(data["case_id"]), str(data["step"])
    if not callback_data.ok:
        await state.clear()
        await replace(query, step_cancelled(case_id, ctx.t))
        return
    text = data.get("text")
    outcome = await take_step(
        ctx.session,
        ctx.actor,
        case_id,
        step,
        case_write(query, ctx),
        str(text) if text is not None else None,
        seen=data.get("seen"),
    )
    await state.clear()
    if isinstance(query.message, Message):
        # The question stays, answered; the case anew below it; the tapped card goes quiet.
        await query.message.edit_reply_markup(reply_markup=None)
        await _drop_buttons(query.bot, query.message.chat.id, data.get("card"))
    await show_below(query, step_reply(outcome, ctx.tz, ctx.t))


def build_router() -> Router:
    router = Router(name="dropout-cases")
    router.message.register(cases_command, Command("cases"))
    router.callback_query.register(case_open, on(CaseOpen))
    router.callback_query.register(case_step, on(CaseStep))
    router.callback_query.register(case_confirm, on(CaseConfirm))
    router.message.register(case_typed_text, CaseFlow.text, TYPED)
    return router
