"""/village: the unit's monthly visit to its poor village, guided or in one line.

Guided: village (if several), date, then a confirm screen where who went, what was
discussed, a location and photos may be added; none of them is required.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from handlers.callbacks import on
from handlers.context import Context
from handlers.flow import WITH_ARGUMENTS, FieldFlow, Question, new_draft_token
from handlers.replies import replace, show
from services.village_visits import (
    VillageMonthStatus,
    VillageVisitRequest,
    log_village_visit,
    my_unit_village,
    my_unit_villages,
    parse_village_line,
)
from ui.actions import PickVillage, VillageDate, VillageStep
from ui.views.village import (
    ASK_DISCUSSED,
    ASK_WHO,
    village_confirm,
    village_outcome,
    village_picker,
    village_when,
)


class VillageFlow(StatesGroup):
    typed_date = State()
    confirm = State()
    participants = State()
    discussed = State()
    location = State()


VILLAGE = FieldFlow(
    group=VillageFlow,
    step=VillageStep,
    place="village_id",
    confirm=VillageFlow.confirm,
    typed_date=VillageFlow.typed_date,
    location=VillageFlow.location,
    questions=(
        Question("who", VillageFlow.participants, ASK_WHO, "participants"),
        Question("talk", VillageFlow.discussed, ASK_DISCUSSED, "discussed"),
    ),
    card=village_confirm,
    parse=parse_village_line,
    request=lambda draft, day, evidence: VillageVisitRequest(
        village_id=int(draft["village_id"]),
        visit_date=day,
        participants=draft.get("participants"),
        discussed=draft.get("discussed"),
        evidence=evidence,
    ),
    log=log_village_visit,
    outcome=village_outcome,
)


async def village_guided(message: Message, ctx: Context) -> None:
    """Straight to the date for a unit with one village; else which village first."""
    villages = await my_unit_villages(ctx.session, ctx.actor, ctx.clock, ctx.rules)
    if len(villages) == 1:
        await show(message, village_when(villages[0], ctx.today(), ctx.t))
    else:
        await show(message, village_picker(villages, ctx.t))


async def _village(village_id: int, ctx: Context) -> VillageMonthStatus:
    """One of my unit's villages (the button's id is re-checked against the unit)."""
    return await my_unit_village(ctx.session, ctx.actor, village_id, ctx.clock, ctx.rules)


async def village_picked(query: CallbackQuery, callback_data: PickVillage, ctx: Context) -> None:
    village = await _village(callback_data.village_id, ctx)
    await replace(query, village_when(village, ctx.today(), ctx.t))


async def village_date_picked(
    query: CallbackQuery, callback_data: VillageDate, ctx: Context, state: FSMContext
) -> None:
    """The button's village is re-checked against the unit; a new draft starts with it."""
    village = await _village(callback_data.village_id, ctx)
    await state.set_state(VillageFlow.confirm)
    await state.set_data(
        {
            "village_id": village.village_id,
            "village": village.village_name,
            "draft": new_draft_token(),
        }
    )
    await VILLAGE.date_picked(query, callback_data.days_ago, ctx, state)


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="village")
    router.message.register(VILLAGE.one_line, Command("village"), WITH_ARGUMENTS)
    router.message.register(village_guided, Command("village"))
    router.callback_query.register(village_picked, on(PickVillage))
    router.callback_query.register(village_date_picked, on(VillageDate))
    VILLAGE.register(router)
    return router
