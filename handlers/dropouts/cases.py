"""/cases: the open cases that concern me, one case with its history, and its next steps."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.dropouts import NEEDS_TEXT
from domain.plan_rules import PlanRules
from handlers.callbacks import on
from handlers.dropouts.flow import TYPED, case_write, flow_data
from handlers.replies import show, show_below
from services.actors import Actor
from services.dropouts import case_view, check_case_step, my_cases, take_step
from ui.actions import CaseOpen, CaseStep
from ui.i18n import Catalogs, Translator
from ui.views.dropouts import case_screen, cases_screen, step_prompt, step_reply


class CaseFlow(StatesGroup):
    text = State()


async def cases_command(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
) -> None:
    """Open cases I can act on or reported, overdue first."""
    await state.clear()
    await show(message, cases_screen(await my_cases(session, actor, clock, plan_rules.tz), t))


async def case_open(
    query: CallbackQuery,
    callback_data: CaseOpen,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    t: Translator,
) -> None:
    view = await case_view(session, actor, callback_data.case_id, clock, plan_rules.tz)
    await show_below(query, case_screen(view, plan_rules.tz, t))


async def case_step(
    query: CallbackQuery,
    callback_data: CaseStep,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
    catalogs: Catalogs,
) -> None:
    """A step button: taken at once, or first its typed answer (an outcome, a school ...)."""
    case_id, step = callback_data.case_id, callback_data.step
    if step in NEEDS_TEXT:
        await check_case_step(session, actor, case_id, step)
        await state.set_state(CaseFlow.text)
        await state.set_data({"case_id": case_id, "step": step})
        await show_below(query, step_prompt(case_id, step, t))
        return
    write = case_write(query, clock, plan_rules, catalogs)
    outcome = await take_step(session, actor, case_id, step, write)
    await show_below(query, step_reply(outcome, plan_rules.tz, t))


async def case_typed_text(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
    catalogs: Catalogs,
) -> None:
    data = await flow_data(state, "case_id", "step")
    write = case_write(message, clock, plan_rules, catalogs)
    outcome = await take_step(
        session, actor, int(data["case_id"]), str(data["step"]), write, message.text or ""
    )
    await state.clear()
    await show(message, step_reply(outcome, plan_rules.tz, t))


def build_router() -> Router:
    router = Router(name="dropout-cases")
    router.message.register(cases_command, Command("cases"))
    router.callback_query.register(case_open, on(CaseOpen))
    router.callback_query.register(case_step, on(CaseStep))
    router.message.register(case_typed_text, CaseFlow.text, TYPED)
    return router
