"""/cases: the open cases that concern me, one case with its history, and its next steps."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from domain.dropouts import NEEDS_TEXT
from handlers.callbacks import on
from handlers.context import Context
from handlers.dropouts.flow import TYPED, case_write, flow_data
from handlers.replies import show, show_below
from services.dropouts import case_view, check_case_step, my_cases, take_step
from ui.actions import CaseOpen, CaseStep
from ui.views.dropouts import case_screen, cases_screen, step_prompt, step_reply


class CaseFlow(StatesGroup):
    text = State()


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
    """A step button: taken at once, or first its typed answer (an outcome, a school ...)."""
    case_id, step = callback_data.case_id, callback_data.step
    if step in NEEDS_TEXT:
        await check_case_step(ctx.session, ctx.actor, case_id, step)
        await state.set_state(CaseFlow.text)
        await state.set_data({"case_id": case_id, "step": step})
        await show_below(query, step_prompt(case_id, step, ctx.today(), ctx.t))
        return
    outcome = await take_step(ctx.session, ctx.actor, case_id, step, case_write(query, ctx))
    await show_below(query, step_reply(outcome, ctx.tz, ctx.t))


async def case_typed_text(message: Message, ctx: Context, state: FSMContext) -> None:
    data = await flow_data(state, "case_id", "step")
    case_id, step, text = int(data["case_id"]), str(data["step"]), message.text or ""
    outcome = await take_step(ctx.session, ctx.actor, case_id, step, case_write(message, ctx), text)
    await state.clear()
    await show(message, step_reply(outcome, ctx.tz, ctx.t))


def build_router() -> Router:
    router = Router(name="dropout-cases")
    router.message.register(cases_command, Command("cases"))
    router.callback_query.register(case_open, on(CaseOpen))
    router.callback_query.register(case_step, on(CaseStep))
    router.message.register(case_typed_text, CaseFlow.text, TYPED)
    return router
