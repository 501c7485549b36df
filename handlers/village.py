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
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.plan_rules import PlanRules
from handlers.callbacks import on
from handlers.flow import WITH_ARGUMENTS, FieldFlow, Question
from handlers.replies import replace, show
from services.actors import Actor
from services.village_visits import (
    VillageVisitRequest,
    log_village_visit,
    my_unit_village,
    my_unit_villages,
    parse_village_line,
)
from ui.actions import PickVillage, VillageDate, VillageStep
from ui.i18n import Translator
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


async def village_guided(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    t: Translator,
) -> None:
    """Straight to the date for a unit with one village; else which village first."""
    villages = await my_unit_villages(session, actor, clock, plan_rules)
    if len(villages) == 1:
        await show(message, village_when(villages[0], local_today(clock, plan_rules.tz), t))
    else:
        await show(message, village_picker(villages, t))


async def village_picked(
    query: CallbackQuery,
    callback_data: PickVillage,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    t: Translator,
) -> None:
    village = await my_unit_village(session, actor, callback_data.village_id, clock, plan_rules)
    await replace(query, village_when(village, local_today(clock, plan_rules.tz), t))


async def village_date_picked(
    query: CallbackQuery,
    callback_data: VillageDate,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
) -> None:
    """The button's village is re-checked against the unit; a new draft starts with it."""
    village = await my_unit_village(session, actor, callback_data.village_id, clock, plan_rules)
    await state.set_state(VillageFlow.confirm)
    await state.set_data({"village_id": village.village_id, "village": village.village_name})
    await VILLAGE.date_picked(query, callback_data.days_ago, clock, plan_rules, state, t)


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="village")
    router.message.register(VILLAGE.one_line, Command("village"), WITH_ARGUMENTS)
    router.message.register(village_guided, Command("village"))
    router.callback_query.register(village_picked, on(PickVillage))
    router.callback_query.register(village_date_picked, on(VillageDate))
    VILLAGE.register(router)
    return router
