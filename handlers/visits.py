"""/visit: one line for the quick, three taps for the guided (household, date, confirm)."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.errors import InputRefused
from domain.plan_rules import PlanRules
from handlers.callbacks import on
from handlers.evidence import telegram_fetch
from services.actors import Actor
from services.evidence import NewPhoto, keep_photo_copies
from services.files.door_codes import DEEP_LINK_PREFIX
from services.visits import (
    MyHouseholds,
    VisitOutcome,
    VisitRequest,
    check_my_household,
    check_my_household_code,
    chosen_visit_date,
    log_household_visit,
    my_households,
    parse_one_line,
    typed_visit_date,
)
from storage.households import HouseholdHolder
from ui.actions import HouseholdPage, PickDate, PickHousehold, VisitStep
from ui.i18n import Translator
from ui.render import esc
from ui.texts import NOT_ON_ROSTER

PAGE_SIZE = 8
MAX_PHOTOS = 10
# Typed text in a flow step, but not a command: /mystatus mid-flow is not a note.
NOT_A_COMMAND = ~F.text.startswith("/")


class VisitFlow(StatesGroup):
    household = State()
    typed_date = State()
    location = State()
    note = State()


async def cancel(message: Message, state: FSMContext, t: Translator) -> None:
    await state.clear()
    await message.answer(t("Cancelled. Nothing was logged."), reply_markup=ReplyKeyboardRemove())


async def visit_one_line(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    t: Translator,
) -> None:
    """`/visit CODE [YYYY-MM-DD] [note]`, for cadres who know their codes."""
    request = parse_one_line(command.args or "")
    outcome = await log_household_visit(session, actor, request, clock, plan_rules)
    await message.answer(_outcome_text(outcome, t))


async def visit_guided(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
) -> None:
    mine = await my_households(session, actor, clock, plan_rules.tz)
    if not mine.households:
        await message.answer(t("You have no paired households on the roster."))
        return
    await state.set_state(VisitFlow.household)
    await message.answer(_pick_text(mine, t), reply_markup=_household_keyboard(mine, 0))


async def visit_page(
    query: CallbackQuery,
    callback_data: HouseholdPage,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    t: Translator,
) -> None:
    mine = await my_households(session, actor, clock, plan_rules.tz)
    if isinstance(query.message, Message):
        await query.message.edit_text(
            _pick_text(mine, t), reply_markup=_household_keyboard(mine, callback_data.page)
        )
    await query.answer()


async def visit_door_code(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor | None,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
) -> None:
    """`/start hh_<code>` from a door QR code: the household's visit starts at the date."""
    if actor is None:
        await message.answer(t(NOT_ON_ROSTER))
        return
    code = (command.args or "").removeprefix(DEEP_LINK_PREFIX)
    household = await check_my_household_code(session, actor, code)
    text, markup = await begin_visit(household, state, clock, plan_rules, t)
    await message.answer(text, reply_markup=markup)


async def begin_visit(
    household: HouseholdHolder,
    state: FSMContext,
    clock: Clock,
    rules: PlanRules,
    t: Translator,
) -> tuple[str, InlineKeyboardMarkup]:
    """Remember the chosen household and ask for the date: today, yesterday or another."""
    await state.set_state(VisitFlow.household)
    await state.set_data(
        {"household_id": household.id, "code": household.code, "head": household.head_name}
    )
    today = chosen_visit_date(0, clock, rules)
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t("Today {date}", date=today.strftime("%m-%d")),
        callback_data=PickDate(days_ago=0).pack(),
    )
    builder.button(text=t("Yesterday"), callback_data=PickDate(days_ago=1).pack())
    builder.button(text=t("Another date"), callback_data=PickDate(days_ago=-1).pack())
    builder.adjust(1, 2)
    text = t(
        "Visit to {code} {head}. When was it?",
        code=esc(household.code),
        head=esc(household.head_name),
    )
    return text, builder.as_markup()


async def visit_pick_household(
    query: CallbackQuery,
    callback_data: PickHousehold,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
) -> None:
    household = await check_my_household(session, actor, callback_data.household_id)
    text, markup = await begin_visit(household, state, clock, plan_rules, t)
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)
    await query.answer()


async def visit_pick_date(
    query: CallbackQuery,
    callback_data: PickDate,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
) -> None:
    if "household_id" not in await state.get_data():
        raise InputRefused("stale_button")
    if callback_data.days_ago < 0:
        await state.set_state(VisitFlow.typed_date)
        if isinstance(query.message, Message):
            await query.message.edit_text(t("Type the date of the visit as YYYY-MM-DD."))
        await query.answer()
        return
    visit_date = chosen_visit_date(callback_data.days_ago, clock, plan_rules)
    await state.update_data(date=visit_date.isoformat())
    if isinstance(query.message, Message):
        text, markup = _confirm_view(await state.get_data(), t)
        await query.message.edit_text(text, reply_markup=markup)
    await query.answer()


async def visit_typed_date(
    message: Message, clock: Clock, plan_rules: PlanRules, state: FSMContext, t: Translator
) -> None:
    visit_date = typed_visit_date(message.text or "", clock, plan_rules)
    await state.update_data(date=visit_date.isoformat())
    text, markup = _confirm_view(await state.get_data(), t)
    await message.answer(text, reply_markup=markup)


async def visit_ask_location(query: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await _require_flow(state)
    await state.set_state(VisitFlow.location)
    if isinstance(query.message, Message):
        await query.message.answer(
            t("Send your location, or skip."), reply_markup=location_keyboard(t)
        )
    await query.answer()


def location_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    """Telegram's own "share location" button, and a way out: the location is optional."""
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=t("Send my location"), request_location=True)],
            [KeyboardButton(text=t("Skip"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def visit_location(message: Message, state: FSMContext, t: Translator) -> None:
    assert message.location is not None
    await state.update_data(
        lat=message.location.latitude,
        lon=message.location.longitude,
        acc=message.location.horizontal_accuracy,
    )
    await _show_confirm_again(message, state, t)


async def visit_location_skipped(message: Message, state: FSMContext, t: Translator) -> None:
    await _show_confirm_again(message, state, t)


async def visit_ask_note(query: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await _require_flow(state)
    await state.set_state(VisitFlow.note)
    if isinstance(query.message, Message):
        await query.message.answer(t("Type a short note about the visit."))
    await query.answer()


async def visit_note(message: Message, state: FSMContext, t: Translator) -> None:
    await state.update_data(note=message.text)
    await _show_confirm_again(message, state, t)


async def visit_confirm(
    query: CallbackQuery,
    bot: Bot,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
) -> None:
    data = await _require_flow(state)
    request = VisitRequest(
        household_id=int(data["household_id"]),
        visit_date=date.fromisoformat(data["date"]),
        note=data.get("note"),
        latitude=data.get("lat"),
        longitude=data.get("lon"),
        accuracy_m=data.get("acc"),
        photos=tuple((file_id, unique_id) for file_id, unique_id in data.get("photos", [])),
    )
    outcome = await log_household_visit(session, actor, request, clock, plan_rules)
    await state.clear()
    if isinstance(query.message, Message):
        await query.message.edit_text(_outcome_text(outcome, t))
    await query.answer()
    await keep_copies(bot, session, plan_rules, outcome.new_photos)


async def keep_copies(
    bot: Bot, session: AsyncSession, rules: PlanRules, photos: tuple[NewPhoto, ...]
) -> None:
    """After the commit and the reply: copy new photos to the evidence folder, if enabled."""
    if rules.evidence_dir is not None and photos:
        await keep_photo_copies(session, telegram_fetch(bot), rules.evidence_dir, photos)


def add_photo(data: dict[str, Any], message: Message) -> list[list[str]]:
    """The flow's photos plus this one (its largest size); the same photo again is one."""
    assert message.photo
    largest = message.photo[-1]
    photos = [list(p) for p in data.get("photos", []) if p[1] != largest.file_unique_id]
    photos.append([largest.file_id, largest.file_unique_id])
    return photos[-MAX_PHOTOS:]


async def visit_ask_photo(query: CallbackQuery, state: FSMContext, t: Translator) -> None:
    """The 📷 button only explains: photos are sent like any photo, none is required."""
    await _require_flow(state)
    await state.set_state(VisitFlow.household)
    if isinstance(query.message, Message):
        await query.message.answer(
            t("Send one or more photos now; they are attached when you log the visit.")
        )
    await query.answer()


async def visit_photo(message: Message, state: FSMContext, t: Translator) -> None:
    """A photo sent while a visit is being prepared is kept for it (optional evidence)."""
    data = await state.get_data()
    if "household_id" not in data:
        raise InputRefused("stale_button")
    data = await state.update_data(photos=add_photo(data, message))
    if "date" not in data:
        await message.answer(t("Photo kept. Now choose the date of the visit above."))
        return
    text, markup = _confirm_view(data, t)
    await message.answer(text, reply_markup=markup)


async def visit_cancel(query: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await state.clear()
    if isinstance(query.message, Message):
        await query.message.edit_text(t("Cancelled. Nothing was logged."))
    await query.answer()


async def _require_flow(state: FSMContext) -> dict[str, Any]:
    """A confirm-screen button is only valid while its visit is being prepared."""
    data = await state.get_data()
    if "household_id" not in data or "date" not in data:
        raise InputRefused("stale_button")
    return data


async def _show_confirm_again(message: Message, state: FSMContext, t: Translator) -> None:
    data = await _require_flow(state)
    await state.set_state(VisitFlow.household)
    await message.answer(t("Noted."), reply_markup=ReplyKeyboardRemove())
    text, markup = _confirm_view(data, t)
    await message.answer(text, reply_markup=markup)


def _pick_text(mine: MyHouseholds, t: Translator) -> str:
    return t(
        "Which household did you visit? {quarter}: {covered} of {total} covered; "
        "\u25cb = not yet visited this quarter.",
        quarter=str(mine.quarter),
        covered=mine.covered_count,
        total=len(mine.households),
    )


def _household_keyboard(mine: MyHouseholds, page: int) -> InlineKeyboardMarkup:
    ordered = mine.not_covered_first
    pages = max(1, -(-len(ordered) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    builder = InlineKeyboardBuilder()
    for household in ordered[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        mark = "\u2713" if household.visited_in_period else "\u25cb"
        builder.button(
            text=f"{mark} {household.code} {household.head_name}"[:60],
            callback_data=PickHousehold(household_id=household.id).pack(),
        )
    builder.adjust(1)
    if pages > 1:
        nav = InlineKeyboardBuilder()
        if page > 0:
            nav.button(text="\u2190", callback_data=HouseholdPage(page=page - 1).pack())
        nav.button(text=f"{page + 1}/{pages}", callback_data=HouseholdPage(page=page).pack())
        if page < pages - 1:
            nav.button(text="\u2192", callback_data=HouseholdPage(page=page + 1).pack())
        builder.attach(nav)
    return builder.as_markup()


def _confirm_view(data: dict[str, Any], t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        t("Log this visit?"),
        t("Household: {code} {head}", code=esc(data["code"]), head=esc(data["head"])),
        t("Date: {date}", date=data["date"]),
    ]
    if data.get("lat") is not None:
        lines.append(t("Location: attached"))
    if data.get("note"):
        lines.append(t("Note: {note}", note=esc(str(data["note"])[:300])))
    if data.get("photos"):
        lines.append(t("Photos: {count}", count=len(data["photos"])))
    else:
        lines.append(t("(Optional: send photos now to attach them.)"))
    builder = InlineKeyboardBuilder()
    builder.button(text=t("\u2705 Log visit"), callback_data=VisitStep(action="ok").pack())
    builder.button(text=t("\U0001f4cd Location"), callback_data=VisitStep(action="loc").pack())
    builder.button(text=t("\U0001f4dd Note"), callback_data=VisitStep(action="note").pack())
    builder.button(text=t("\U0001f4f7 Photo"), callback_data=VisitStep(action="photo").pack())
    builder.button(text=t("\u2716 Cancel"), callback_data=VisitStep(action="cancel").pack())
    builder.adjust(1, 3, 1)
    return "\n".join(lines), builder.as_markup()


def _outcome_text(outcome: VisitOutcome, t: Translator) -> str:
    lines = [_logged_text(outcome, t)]
    if outcome.located and outcome.distance_m is not None:
        lines.append(
            t(
                "Location recorded, about {meters} m from the household.",
                meters=round(outcome.distance_m),
            )
        )
    lines.extend(evidence_lines(outcome.located, outcome.distance_m, outcome.new_photos, t))
    return "\n".join(lines)


def evidence_lines(
    located: bool, distance_m: float | None, new_photos: tuple[NewPhoto, ...], t: Translator
) -> list[str]:
    """What the cadre is told about optional evidence, beyond the distance line."""
    lines = []
    if located and distance_m is None:
        lines.append(t("Location recorded."))
    if new_photos:
        lines.append(t("Photos attached: {count}", count=len(new_photos)))
    return lines


def _logged_text(outcome: VisitOutcome, t: Translator) -> str:
    if outcome.created:
        return t(
            "\u2705 Visit logged: {code} {head} on {date}. "
            "{quarter} is covered for this household.",
            code=esc(outcome.household_code),
            head=esc(outcome.head_name),
            date=outcome.visit_date.isoformat(),
            quarter=str(outcome.quarter),
        )
    if outcome.new_photos:
        return t(
            "This visit was already logged: {code} {head} on {date}. Only the new photos "
            "were added to it.",
            code=esc(outcome.household_code),
            head=esc(outcome.head_name),
            date=outcome.visit_date.isoformat(),
        )
    return t(
        "This visit was already logged: {code} {head} on {date}. Nothing changed.",
        code=esc(outcome.household_code),
        head=esc(outcome.head_name),
        date=outcome.visit_date.isoformat(),
    )


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="visits")
    router.message.register(cancel, Command("cancel"), StateFilter("*"))
    router.message.register(
        visit_one_line, Command("visit"), F.text.func(lambda text: len(text.split(maxsplit=1)) > 1)
    )
    router.message.register(visit_guided, Command("visit"))
    router.callback_query.register(visit_page, on(HouseholdPage))
    router.callback_query.register(visit_pick_household, on(PickHousehold))
    router.callback_query.register(visit_pick_date, on(PickDate))
    router.message.register(visit_typed_date, VisitFlow.typed_date, F.text, NOT_A_COMMAND)
    router.callback_query.register(visit_ask_location, on(VisitStep, F.action == "loc"))
    router.message.register(visit_location, VisitFlow.location, F.location)
    router.message.register(visit_location_skipped, VisitFlow.location, F.text, NOT_A_COMMAND)
    router.callback_query.register(visit_ask_note, on(VisitStep, F.action == "note"))
    router.message.register(visit_note, VisitFlow.note, F.text, NOT_A_COMMAND)
    router.message.register(
        visit_photo, StateFilter(VisitFlow.household, VisitFlow.location, VisitFlow.note), F.photo
    )
    router.callback_query.register(visit_ask_photo, on(VisitStep, F.action == "photo"))
    router.callback_query.register(visit_confirm, on(VisitStep, F.action == "ok"))
    router.callback_query.register(visit_cancel, on(VisitStep, F.action == "cancel"))
    return router
