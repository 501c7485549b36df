"""/village: the unit's monthly visit to its poor village, guided or in one line.

Guided: village (if several), date, then a confirm screen where who went, what was
discussed, a location and photos may be added; none of them is required.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, ReplyKeyboardRemove
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.errors import InputRefused
from domain.plan_rules import PlanRules
from handlers.callbacks import on
from handlers.visits import NOT_A_COMMAND, add_photo, evidence_lines, keep_copies, location_keyboard
from services.actors import Actor
from services.village_visits import (
    VillageVisitOutcome,
    VillageVisitRequest,
    log_village_visit,
    my_unit_village,
    my_unit_villages,
    parse_village_line,
)
from services.visits import chosen_visit_date, typed_visit_date
from ui.actions import PickVillage, VillageDate, VillageStep
from ui.i18n import Translator
from ui.render import esc


class VillageFlow(StatesGroup):
    typed_date = State()
    confirm = State()
    participants = State()
    discussed = State()
    location = State()


async def village_one_line(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    t: Translator,
) -> None:
    """`/village [YYYY-MM-DD] [what was discussed]` for a unit with one village."""
    request = parse_village_line(command.args or "")
    outcome = await log_village_visit(session, actor, request, clock, plan_rules)
    await message.answer(_outcome_text(outcome, t))


async def village_guided(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    t: Translator,
) -> None:
    villages = await my_unit_villages(session, actor, clock, plan_rules)
    if len(villages) == 1:
        [village] = villages
        await message.answer(
            _when_text(village.village_name, village.covered, t),
            reply_markup=_date_keyboard(village.village_id, clock, plan_rules, t),
        )
        return
    builder = InlineKeyboardBuilder()
    for village in villages:
        mark = "\u2713" if village.covered else "\u25cb"
        builder.button(
            text=f"{mark} {village.village_name}"[:60],
            callback_data=PickVillage(village_id=village.village_id).pack(),
        )
    builder.adjust(1)
    await message.answer(t("Which village did your unit visit?"), reply_markup=builder.as_markup())


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
    if isinstance(query.message, Message):
        await query.message.edit_text(
            _when_text(village.village_name, village.covered, t),
            reply_markup=_date_keyboard(callback_data.village_id, clock, plan_rules, t),
        )
    await query.answer()


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
    """The button's village is re-checked against the unit before the flow goes on."""
    village = await my_unit_village(session, actor, callback_data.village_id, clock, plan_rules)
    await state.set_data({"village_id": village.village_id, "village": village.village_name})
    if callback_data.days_ago < 0:
        await state.set_state(VillageFlow.typed_date)
        if isinstance(query.message, Message):
            await query.message.edit_text(t("Type the date of the visit as YYYY-MM-DD."))
        await query.answer()
        return
    visit_date = chosen_visit_date(callback_data.days_ago, clock, plan_rules)
    data = await state.update_data(date=visit_date.isoformat())
    await state.set_state(VillageFlow.confirm)
    if isinstance(query.message, Message):
        text, markup = _confirm_view(data, t)
        await query.message.edit_text(text, reply_markup=markup)
    await query.answer()


async def village_typed_date(
    message: Message, clock: Clock, plan_rules: PlanRules, state: FSMContext, t: Translator
) -> None:
    if "village_id" not in await state.get_data():
        raise InputRefused("stale_button")
    visit_date = typed_visit_date(message.text or "", clock, plan_rules)
    data = await state.update_data(date=visit_date.isoformat())
    await state.set_state(VillageFlow.confirm)
    text, markup = _confirm_view(data, t)
    await message.answer(text, reply_markup=markup)


async def village_ask(
    query: CallbackQuery, callback_data: VillageStep, state: FSMContext, t: Translator
) -> None:
    """Who went, what was discussed, location or photo: each optional, each one question."""
    await _require_flow(state)
    prompts = {
        "who": (VillageFlow.participants, t("Who went? Type their names.")),
        "talk": (VillageFlow.discussed, t("What was discussed? Type a short note.")),
        "photo": (
            VillageFlow.confirm,
            t("Send one or more photos now; they are attached when you log the visit."),
        ),
    }
    if callback_data.action == "loc":
        await state.set_state(VillageFlow.location)
        if isinstance(query.message, Message):
            await query.message.answer(
                t("Send your location, or skip."), reply_markup=location_keyboard(t)
            )
    elif callback_data.action in prompts:
        next_state, prompt = prompts[callback_data.action]
        await state.set_state(next_state)
        if isinstance(query.message, Message):
            await query.message.answer(prompt)
    await query.answer()


async def village_participants(message: Message, state: FSMContext, t: Translator) -> None:
    await state.update_data(participants=message.text)
    await _show_confirm_again(message, state, t)


async def village_discussed(message: Message, state: FSMContext, t: Translator) -> None:
    await state.update_data(discussed=message.text)
    await _show_confirm_again(message, state, t)


async def village_location(message: Message, state: FSMContext, t: Translator) -> None:
    assert message.location is not None
    await state.update_data(
        lat=message.location.latitude,
        lon=message.location.longitude,
        acc=message.location.horizontal_accuracy,
    )
    await _show_confirm_again(message, state, t)


async def village_location_skipped(message: Message, state: FSMContext, t: Translator) -> None:
    await _show_confirm_again(message, state, t)


async def village_photo(message: Message, state: FSMContext, t: Translator) -> None:
    """A photo sent while the village visit is being prepared is kept for it (optional)."""
    data = await _require_flow(state)
    data = await state.update_data(photos=add_photo(data, message))
    text, markup = _confirm_view(data, t)
    await message.answer(text, reply_markup=markup)


async def village_confirm(
    query: CallbackQuery,
    bot: Bot,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
) -> None:
    """Log it; the service re-checks the unit's village and the date rules."""
    data = await _require_flow(state)
    request = VillageVisitRequest(
        village_id=int(data["village_id"]),
        visit_date=date.fromisoformat(data["date"]),
        participants=data.get("participants"),
        discussed=data.get("discussed"),
        latitude=data.get("lat"),
        longitude=data.get("lon"),
        accuracy_m=data.get("acc"),
        photos=tuple((file_id, unique_id) for file_id, unique_id in data.get("photos", [])),
    )
    outcome = await log_village_visit(session, actor, request, clock, plan_rules)
    await state.clear()
    if isinstance(query.message, Message):
        await query.message.edit_text(_outcome_text(outcome, t))
    await query.answer()
    await keep_copies(bot, session, plan_rules, outcome.new_photos)


async def village_cancel(query: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await state.clear()
    if isinstance(query.message, Message):
        await query.message.edit_text(t("Cancelled. Nothing was logged."))
    await query.answer()


async def _require_flow(state: FSMContext) -> dict[str, Any]:
    """A confirm-screen button is only valid while its village visit is being prepared."""
    data = await state.get_data()
    if "village_id" not in data or "date" not in data:
        raise InputRefused("stale_button")
    return data


async def _show_confirm_again(message: Message, state: FSMContext, t: Translator) -> None:
    data = await _require_flow(state)
    await state.set_state(VillageFlow.confirm)
    await message.answer(t("Noted."), reply_markup=ReplyKeyboardRemove())
    text, markup = _confirm_view(data, t)
    await message.answer(text, reply_markup=markup)


def _confirm_view(data: dict[str, Any], t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        t("Log your unit's village visit?"),
        t("Village: {village}", village=esc(str(data["village"]))),
        t("Date: {date}", date=data["date"]),
    ]
    if data.get("participants"):
        lines.append(t("Who went: {names}", names=esc(str(data["participants"])[:300])))
    if data.get("discussed"):
        lines.append(t("Discussed: {note}", note=esc(str(data["discussed"])[:300])))
    if data.get("lat") is not None:
        lines.append(t("Location: attached"))
    if data.get("photos"):
        lines.append(t("Photos: {count}", count=len(data["photos"])))
    else:
        lines.append(t("(Optional: send photos now to attach them.)"))
    builder = InlineKeyboardBuilder()
    builder.button(text=t("\u2705 Log visit"), callback_data=VillageStep(action="ok").pack())
    builder.button(text=t("\U0001f465 Who went"), callback_data=VillageStep(action="who").pack())
    builder.button(text=t("\U0001f4ac Discussed"), callback_data=VillageStep(action="talk").pack())
    builder.button(text=t("\U0001f4cd Location"), callback_data=VillageStep(action="loc").pack())
    builder.button(text=t("\U0001f4f7 Photo"), callback_data=VillageStep(action="photo").pack())
    builder.button(text=t("\u2716 Cancel"), callback_data=VillageStep(action="cancel").pack())
    builder.adjust(1, 2, 2, 1)
    return "\n".join(lines), builder.as_markup()


def _when_text(village_name: str, covered: bool, t: Translator) -> str:
    if covered:
        return t(
            "Your unit already visited {village} this month. Log another visit? When was it?",
            village=esc(village_name),
        )
    return t("Your unit's visit to {village}: when was it?", village=esc(village_name))


def _date_keyboard(
    village_id: int, clock: Clock, rules: PlanRules, t: Translator
) -> InlineKeyboardMarkup:
    today = chosen_visit_date(0, clock, rules)
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t("Today {date}", date=today.strftime("%m-%d")),
        callback_data=VillageDate(village_id=village_id, days_ago=0).pack(),
    )
    builder.button(
        text=t("Yesterday"), callback_data=VillageDate(village_id=village_id, days_ago=1).pack()
    )
    builder.button(
        text=t("Another date"), callback_data=VillageDate(village_id=village_id, days_ago=-1).pack()
    )
    builder.adjust(1, 2)
    return builder.as_markup()


def _outcome_text(outcome: VillageVisitOutcome, t: Translator) -> str:
    lines = [_logged_text(outcome, t)]
    if outcome.located and outcome.distance_m is not None:
        lines.append(
            t(
                "Location recorded, about {meters} m from the village.",
                meters=round(outcome.distance_m),
            )
        )
    lines.extend(evidence_lines(outcome.located, outcome.distance_m, outcome.new_photos, t))
    return "\n".join(lines)


def _logged_text(outcome: VillageVisitOutcome, t: Translator) -> str:
    if outcome.created:
        return t(
            "\u2705 Village visit logged: {village} on {date}. {month} is covered for your unit.",
            village=esc(outcome.village_name),
            date=outcome.visit_date.isoformat(),
            month=str(outcome.month),
        )
    if outcome.new_photos:
        return t(
            "Your unit's visit to {village} on {date} was already logged. Only the new photos "
            "were added to it.",
            village=esc(outcome.village_name),
            date=outcome.visit_date.isoformat(),
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
    router.callback_query.register(village_picked, on(PickVillage))
    router.callback_query.register(village_date_picked, on(VillageDate))
    router.message.register(village_typed_date, VillageFlow.typed_date, F.text, NOT_A_COMMAND)
    router.callback_query.register(village_confirm, on(VillageStep, F.action == "ok"))
    router.callback_query.register(village_cancel, on(VillageStep, F.action == "cancel"))
    router.callback_query.register(village_ask, on(VillageStep))
    router.message.register(village_participants, VillageFlow.participants, F.text, NOT_A_COMMAND)
    router.message.register(village_discussed, VillageFlow.discussed, F.text, NOT_A_COMMAND)
    router.message.register(village_location, VillageFlow.location, F.location)
    router.message.register(village_location_skipped, VillageFlow.location, F.text, NOT_A_COMMAND)
    router.message.register(
        village_photo,
        StateFilter(
            VillageFlow.confirm,
            VillageFlow.participants,
            VillageFlow.discussed,
            VillageFlow.location,
        ),
        F.photo,
    )
    return router
