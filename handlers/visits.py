"""/visit: one line for the quick, three taps for the guided (household, date, confirm)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from handlers.callbacks import on
from handlers.context import Context
from handlers.flow import WITH_ARGUMENTS, FieldFlow, Question, new_draft_token
from handlers.replies import replace, show
from services.files.door_codes import DEEP_LINK_PREFIX
from services.visits import (
    VisitRequest,
    check_my_household,
    check_my_household_code,
    log_household_visit,
    my_households,
    parse_one_line,
)
from storage.households import HouseholdHolder
from ui.actions import HouseholdPage, PickDate, PickHousehold, VisitStep
from ui.views.households import household_picker
from ui.views.visits import ASK_NOTE, visit_confirm, visit_outcome, visit_when


class VisitFlow(StatesGroup):
    household = State()
    typed_date = State()
    location = State()
    note = State()


VISIT = FieldFlow(
    group=VisitFlow,
    step=VisitStep,
    place="household_id",
    confirm=VisitFlow.household,
    typed_date=VisitFlow.typed_date,
    location=VisitFlow.location,
    questions=(Question("note", VisitFlow.note, ASK_NOTE, "note"),),
    card=visit_confirm,
    parse=parse_one_line,
    request=lambda draft, day, evidence: VisitRequest(
        household_id=int(draft["household_id"]),
        visit_date=day,
        note=draft.get("note"),
        evidence=evidence,
    ),
    log=log_household_visit,
    outcome=visit_outcome,
)


async def visit_guided(message: Message, ctx: Context, state: FSMContext) -> None:
    """My households, not yet visited this quarter first, a page at a time."""
    mine = await my_households(ctx.session, ctx.actor, ctx.clock, ctx.tz)
    if mine.households:
        await state.set_state(VisitFlow.household)
    await show(message, household_picker(mine, 0, ctx.t))


async def visit_page(query: CallbackQuery, callback_data: HouseholdPage, ctx: Context) -> None:
    mine = await my_households(ctx.session, ctx.actor, ctx.clock, ctx.tz)
    await replace(query, household_picker(mine, callback_data.page, ctx.t))


async def visit_door_code(
    message: Message, command: CommandObject, ctx: Context, state: FSMContext
) -> None:
    """`/start hh_<code>` from a door QR code: the household's visit starts at the date."""
    code = (command.args or "").removeprefix(DEEP_LINK_PREFIX)
    household = await check_my_household_code(ctx.session, ctx.actor, code)
    draft = await begin_visit(household, state)
    await show(message, visit_when(household, draft, ctx.today(), ctx.t))


async def visit_pick_household(
    query: CallbackQuery, callback_data: PickHousehold, ctx: Context, state: FSMContext
) -> None:
    household = await check_my_household(ctx.session, ctx.actor, callback_data.household_id)
    draft = await begin_visit(household, state)
    await replace(query, visit_when(household, draft, ctx.today(), ctx.t))


async def begin_visit(household: HouseholdHolder, state: FSMContext) -> int:
    """A new draft for the household (its token goes on every button); the date comes next."""
    token = new_draft_token()
    await state.set_state(VisitFlow.household)
    await state.set_data(
        {
            "household_id": household.id,
            "code": household.code,
            "head": household.head_name,
            "draft": token,
        }
    )
    return token


async def visit_pick_date(
    query: CallbackQuery, callback_data: PickDate, ctx: Context, state: FSMContext
) -> None:
    await VISIT.draft(state, token=callback_data.draft)
    await VISIT.date_picked(query, callback_data.days_ago, ctx, state)


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="visits")
    router.message.register(VISIT.one_line, Command("visit"), WITH_ARGUMENTS)
    router.message.register(visit_guided, Command("visit"))
    router.callback_query.register(visit_page, on(HouseholdPage))
    router.callback_query.register(visit_pick_household, on(PickHousehold))
    router.callback_query.register(visit_pick_date, on(PickDate))
    VISIT.register(router)
    return router
