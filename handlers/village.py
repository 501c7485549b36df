"""/village: the unit's monthly visit to its poor village, in two taps or one line."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from domain.clock import Clock
from domain.errors import InputRefused
from handlers.render import esc
from services.actors import Actor
from services.village_visits import (
    VillageVisitOutcome,
    VillageVisitRequest,
    log_village_visit,
    my_unit_village,
    my_unit_villages,
    parse_village_line,
)
from services.visits import VisitRules, chosen_visit_date, typed_visit_date


class PickVillage(CallbackData, prefix="vv"):
    village_id: int


class VillageDate(CallbackData, prefix="vvd"):
    """`days_ago` 0 = today, 1 = yesterday, -1 = type another date."""

    village_id: int
    days_ago: int


class VillageFlow(StatesGroup):
    typed_date = State()


async def village_one_line(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    visit_rules: VisitRules,
    t: Translator,
) -> None:
    """`/village [YYYY-MM-DD] [what was discussed]` for a unit with one village."""
    request = parse_village_line(command.args or "")
    outcome = await log_village_visit(session, actor, request, clock, visit_rules)
    await message.answer(_outcome_text(outcome, t))


async def village_guided(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    visit_rules: VisitRules,
    t: Translator,
) -> None:
    villages = await my_unit_villages(session, actor, clock, visit_rules)
    if len(villages) == 1:
        [village] = villages
        await message.answer(
            _when_text(village.village_name, village.covered, t),
            reply_markup=_date_keyboard(village.village_id, clock, visit_rules, t),
        )
        return
    builder = InlineKeyboardBuilder()
    for village in villages:
        mark = "\u2713" if village.covered else "\u25cb"
        builder.button(
            text=f"{mark} {village.village_name}"[:60],
            callback_data=PickVillage(village_id=village.village_id),
        )
    builder.adjust(1)
    await message.answer(t("Which village did your unit visit?"), reply_markup=builder.as_markup())


async def village_picked(
    query: CallbackQuery,
    callback_data: PickVillage,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    visit_rules: VisitRules,
    t: Translator,
) -> None:
    village = await my_unit_village(session, actor, callback_data.village_id, clock, visit_rules)
    if isinstance(query.message, Message):
        await query.message.edit_text(
            _when_text(village.village_name, village.covered, t),
            reply_markup=_date_keyboard(callback_data.village_id, clock, visit_rules, t),
        )
    await query.answer()


async def village_date_picked(
    query: CallbackQuery,
    callback_data: VillageDate,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    visit_rules: VisitRules,
    state: FSMContext,
    t: Translator,
) -> None:
    if callback_data.days_ago < 0:
        await state.set_state(VillageFlow.typed_date)
        await state.set_data({"village_id": callback_data.village_id})
        if isinstance(query.message, Message):
            await query.message.edit_text(t("Type the date of the visit as YYYY-MM-DD."))
        await query.answer()
        return
    request = VillageVisitRequest(
        village_id=callback_data.village_id,
        visit_date=chosen_visit_date(callback_data.days_ago, clock, visit_rules),
    )
    outcome = await log_village_visit(session, actor, request, clock, visit_rules)
    if isinstance(query.message, Message):
        await query.message.edit_text(_outcome_text(outcome, t))
    await query.answer()


async def village_typed_date(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    visit_rules: VisitRules,
    state: FSMContext,
    t: Translator,
) -> None:
    data = await state.get_data()
    if "village_id" not in data:
        raise InputRefused("stale_button")
    visit_date = typed_visit_date(message.text or "", clock, visit_rules)
    request = VillageVisitRequest(village_id=int(data["village_id"]), visit_date=visit_date)
    outcome = await log_village_visit(session, actor, request, clock, visit_rules)
    await state.clear()
    await message.answer(_outcome_text(outcome, t))


def _when_text(village_name: str, covered: bool, t: Translator) -> str:
    if covered:
        return t(
            "Your unit already visited {village} this month. Log another visit? When was it?",
            village=esc(village_name),
        )
    return t("Your unit's visit to {village}: when was it?", village=esc(village_name))


def _date_keyboard(
    village_id: int, clock: Clock, rules: VisitRules, t: Translator
) -> InlineKeyboardMarkup:
    today = chosen_visit_date(0, clock, rules)
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t("Today {date}", date=today.strftime("%m-%d")),
        callback_data=VillageDate(village_id=village_id, days_ago=0),
    )
    builder.button(
        text=t("Yesterday"), callback_data=VillageDate(village_id=village_id, days_ago=1)
    )
    builder.button(
        text=t("Another date"), callback_data=VillageDate(village_id=village_id, days_ago=-1)
    )
    builder.adjust(1, 2)
    return builder.as_markup()


def _outcome_text(outcome: VillageVisitOutcome, t: Translator) -> str:
    if outcome.created:
        return t(
            "\u2705 Village visit logged: {village} on {date}. {month} is covered for your unit.",
            village=esc(outcome.village_name),
            date=outcome.visit_date.isoformat(),
            month=str(outcome.month),
        )
    return t(
        "Your unit's visit to {village} on {date} was already logged. Nothing changed.",
        village=esc(outcome.village_name),
        date=outcome.visit_date.isoformat(),
    )


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="village")
    router.message.register(village_one_line, Command("village"), F.text.regexp(r"^\S+\s+\S"))
    router.message.register(village_guided, Command("village"))
    router.callback_query.register(village_picked, PickVillage.filter())
    router.callback_query.register(village_date_picked, VillageDate.filter())
    router.message.register(village_typed_date, VillageFlow.typed_date, F.text)
    return router
