"""/ledger: view and update a paired household's ledger (台账) with buttons and short answers.

Every button carries ids only and the service re-checks that the household is the actor's.
After a change the refreshed ledger is sent as a new message (never an edit that could be
identical to the old one).
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.errors import InputRefused
from domain.ledgers import AID_KINDS, DESTINATIONS, EDITABLE_STATUSES, STAGES, split_missing
from domain.plan_rules import PlanRules
from handlers.callbacks import on
from handlers.dropouts import ledger_offer
from services.actors import Actor
from services.ledgers import (
    LedgerRules,
    LedgerView,
    MemberLine,
    MyLedgers,
    add_aid,
    aid_amount_text,
    confirm_review,
    household_for_edit,
    ledger_view,
    member_for_edit,
    my_ledgers,
    set_birth_date,
    set_member_status,
    set_needs,
)
from ui.actions import (
    Action,
    LedgerAidKind,
    LedgerAidMenu,
    LedgerBirth,
    LedgerDestination,
    LedgerMember,
    LedgerNeeds,
    LedgerOpen,
    LedgerPage,
    LedgerReviewed,
    LedgerStage,
    LedgerStatus,
)
from ui.i18n import N_, Translator
from ui.render import chunks, esc

PAGE_SIZE = 8
BUTTON_TEXT = 60


class LedgerFlow(StatesGroup):
    school = State()
    birth = State()
    needs = State()
    aid = State()


STATUS_NAMES = {
    "enrolled": N_("enrolled"),
    "graduated": N_("graduated"),
    "dropout": N_("dropout"),
    "suspected_dropout": N_("suspected dropout"),
    "suspended": N_("suspended"),
    "exempted": N_("exempted"),
    "not_school_age": N_("not of school age"),
}
STAGE_NAMES = {
    "preschool": N_("preschool"),
    "primary": N_("primary school"),
    "junior": N_("junior high"),
    "senior": N_("senior high"),
    "vocational": N_("vocational school"),
    "university": N_("university"),
}
DESTINATION_NAMES = {
    "senior": N_("senior high"),
    "vocational": N_("vocational school"),
    "work": N_("work"),
    "other": N_("other"),
}
AID_NAMES = {
    "living_allowance": N_("living allowance"),
    "nutrition": N_("nutrition"),
    "bursary": N_("bursary"),
    "fee_waiver": N_("fee waiver"),
    "rain_dew": N_("Rain-dew plan"),
    "other": N_("other"),
}
SEX_NAMES = {"m": N_("male"), "f": N_("female")}
MISSING_NAMES = {
    "needs": N_("needs"),
    "review": N_("review this season"),
    "birth_date": N_("{name}: birth date"),
    "status": N_("{name}: schooling status"),
    "stage": N_("{name}: stage"),
    "school": N_("{name}: school and grade"),
    "destination": N_("{name}: where they went"),
}


def _name(names: dict[str, str], value: str | None, t: Translator) -> str:
    if value is None:
        return "?"
    return t(names[value]) if value in names else esc(value)


def missing_text(missing: tuple[str, ...], t: Translator) -> str:
    """Reason codes from services.ledgers as words, e.g. for /mystatus (HTML-escaped)."""
    words = []
    for code in missing:
        reason, name = split_missing(code)
        template = MISSING_NAMES.get(reason)
        if template is None:
            words.append(esc(code))
        elif name is None:
            words.append(t(template))
        else:
            words.append(t(template, name=esc(name)))
    return ", ".join(words)


def _rules(plan_rules: PlanRules, ledger_season_opens: tuple[int, int]) -> LedgerRules:
    return LedgerRules(tz=plan_rules.tz, season_opens=ledger_season_opens)


# ---- rendering ------------------------------------------------------------------------


def _member_line(member: MemberLine, t: Translator) -> str:
    facts = [_name(SEX_NAMES, member.sex, t) if member.sex else None]
    facts.append(t("age {age}", age=member.age) if member.age is not None else t("age unknown"))
    line = f"\u2022 {esc(member.name)} ({', '.join(f for f in facts if f)})"
    if member.status is None:
        return line + (": " + t("schooling status not recorded") if member.school_age else "")
    parts = [_name(STATUS_NAMES, member.status, t)]
    if member.status == "enrolled":
        if member.stage:
            parts.append(_name(STAGE_NAMES, member.stage, t))
        parts.append(f"{esc(member.school or '?')} {esc(member.grade or '?')}")
    elif member.status == "graduated":
        parts.append("\u2192 " + _name(DESTINATION_NAMES, member.destination, t))
    return line + ": " + ", ".join(parts)


def _view_text(view: LedgerView, t: Translator) -> str:
    lines = [
        t(
            "\U0001f4d2 <b>Ledger {year}: {code} {head}</b> ({village})",
            year=view.year,
            code=esc(view.code),
            head=esc(view.head_name),
            village=esc(view.village_name),
        ),
        "",
        t("<b>Members</b>"),
    ]
    lines += [_member_line(m, t) for m in view.members] or [t("(no members on the roster)")]
    aid = "; ".join(
        _name(AID_NAMES, a.kind, t)
        + " "
        + aid_amount_text(a.amount)
        + (f" ({esc(a.note)})" if a.note else "")
        for a in view.aid
    )
    lines.append(t("<b>Aid {year}</b>: {aid}", year=view.year, aid=aid or t("none recorded")))
    lines.append(t("<b>Needs</b>: {needs}", needs=esc(view.needs) if view.needs else "?"))
    visits = "; ".join(
        d.isoformat() + (f" {esc(note[:60])}" if note else "") for d, note in view.visits
    )
    lines.append(t("<b>Last visits</b>: {visits}", visits=visits or t("none")))
    if view.reviewed_on is not None:
        lines.append(
            t(
                "Reviewed on {date} by {name}.",
                date=view.reviewed_on.isoformat(),
                name=esc(view.reviewer_name or "?"),
            )
        )
    if view.complete:
        lines.append(t("\u2705 Complete for {year}.", year=view.year))
    else:
        lines.append(
            t(
                "\u25cb Not complete for {year}; missing: {missing}",
                year=view.year,
                missing=missing_text(view.missing, t),
            )
        )
        if "review" in view.missing:
            lines.append(
                t(
                    "(A review counts from {date}, when this year's ledger season opened.)",
                    date=view.opens.isoformat(),
                )
            )
    return "\n".join(lines)


def _view_keyboard(view: LedgerView, t: Translator) -> InlineKeyboardMarkup | None:
    if not view.editable:
        return None
    incomplete = {split_missing(code)[1] for code in view.missing}
    builder = InlineKeyboardBuilder()
    for member in view.members:
        mark = "\u25cb" if member.name in incomplete else "\u270e"
        builder.button(
            text=f"{mark} {member.name}"[:BUTTON_TEXT],
            callback_data=LedgerMember(member_id=member.id).pack(),
        )
    builder.button(
        text=t("\U0001f4dd Needs"), callback_data=LedgerNeeds(household_id=view.household_id).pack()
    )
    builder.button(
        text=t("\U0001f4b4 Add aid"),
        callback_data=LedgerAidMenu(household_id=view.household_id).pack(),
    )
    builder.button(
        text=t("\u2705 Confirm reviewed"),
        callback_data=LedgerReviewed(household_id=view.household_id).pack(),
    )
    builder.button(text=t("\u00ab My ledgers"), callback_data=LedgerPage(page=0).pack())
    builder.adjust(*([2] * (len(view.members) // 2)), *([1] * (len(view.members) % 2)), 2, 1, 1)
    return builder.as_markup()


async def _send_view(message: Message, view: LedgerView, t: Translator, prefix: str = "") -> None:
    """The ledger as new message(s), each under Telegram's limit; buttons on the last one."""
    parts = list(chunks(prefix + _view_text(view, t)))
    for index, part in enumerate(parts):
        markup = _view_keyboard(view, t) if index == len(parts) - 1 else None
        await message.answer(part, reply_markup=markup)


def _list_text(mine: MyLedgers, t: Translator) -> str:
    return t(
        "<b>Ledgers {year}</b>: {complete} of {total} complete; \u25cb = incomplete. "
        "Due by the end of November. Pick a household:",
        year=mine.year,
        complete=mine.complete_count,
        total=len(mine.items),
    )


def _list_keyboard(mine: MyLedgers, page: int) -> InlineKeyboardMarkup:
    pages = max(1, -(-len(mine.items) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    builder = InlineKeyboardBuilder()
    for item in mine.items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        mark = "\u25cb" if item.missing else "\u2713"
        builder.button(
            text=f"{mark} {item.code} {item.head_name}"[:BUTTON_TEXT],
            callback_data=LedgerOpen(household_id=item.household_id).pack(),
        )
    builder.adjust(1)
    if pages > 1:
        nav = InlineKeyboardBuilder()
        if page > 0:
            nav.button(text="\u2190", callback_data=LedgerPage(page=page - 1).pack())
        nav.button(text=f"{page + 1}/{pages}", callback_data=LedgerPage(page=page).pack())
        if page < pages - 1:
            nav.button(text="\u2192", callback_data=LedgerPage(page=page + 1).pack())
        builder.attach(nav)
    return builder.as_markup()


def _choices(
    options: tuple[str, ...],
    names: dict[str, str],
    make: Any,
    back: Action,
    t: Translator,
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for option in options:
        builder.button(text=t(names[option]), callback_data=make(option).pack())
    builder.button(text=t("\u00ab Back"), callback_data=back.pack())
    builder.adjust(2)
    return builder.as_markup()


# ---- handlers -------------------------------------------------------------------------


async def ledger_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    ledger_season_opens: tuple[int, int],
    state: FSMContext,
    t: Translator,
) -> None:
    """`/ledger CODE` shows one ledger; `/ledger` lists my households, incomplete first."""
    await state.clear()
    rules = _rules(plan_rules, ledger_season_opens)
    code = (command.args or "").strip()
    if code:
        view = await ledger_view(session, actor, clock, rules, code=code.split()[0])
        await _send_view(message, view, t)
        return
    mine = await my_ledgers(session, actor, clock, rules)
    if not mine.items:
        await message.answer(t("You have no paired households on the roster."))
        return
    await message.answer(_list_text(mine, t), reply_markup=_list_keyboard(mine, 0))


async def ledger_page(
    query: CallbackQuery,
    callback_data: LedgerPage,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    ledger_season_opens: tuple[int, int],
    t: Translator,
) -> None:
    mine = await my_ledgers(session, actor, clock, _rules(plan_rules, ledger_season_opens))
    if isinstance(query.message, Message):
        await query.message.answer(
            _list_text(mine, t), reply_markup=_list_keyboard(mine, callback_data.page)
        )
    await query.answer()


async def ledger_open(
    query: CallbackQuery,
    callback_data: LedgerOpen,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    ledger_season_opens: tuple[int, int],
    state: FSMContext,
    t: Translator,
) -> None:
    await state.clear()
    view = await ledger_view(
        session,
        actor,
        clock,
        _rules(plan_rules, ledger_season_opens),
        household_id=callback_data.household_id,
    )
    if isinstance(query.message, Message):
        await _send_view(query.message, view, t)
    await query.answer()


async def ledger_member(
    query: CallbackQuery,
    callback_data: LedgerMember,
    session: AsyncSession,
    actor: Actor,
    state: FSMContext,
    t: Translator,
) -> None:
    """A member: pick the schooling status, or type the birth date."""
    await state.clear()
    member = await member_for_edit(session, actor, callback_data.member_id)
    builder = InlineKeyboardBuilder()
    for status in EDITABLE_STATUSES:
        builder.button(
            text=t(STATUS_NAMES[status]),
            callback_data=LedgerStatus(member_id=member.id, status=status).pack(),
        )
    builder.button(
        text=t("\U0001f4c5 Birth date"), callback_data=LedgerBirth(member_id=member.id).pack()
    )
    builder.button(
        text=t("\u00ab Back"), callback_data=LedgerOpen(household_id=member.household_id).pack()
    )
    builder.adjust(2)
    text = t(
        "{code}: {name} \u2014 now: {status}. Choose the schooling status:",
        code=esc(member.household_code),
        name=esc(member.name),
        status=_name(STATUS_NAMES, member.status, t),
    )
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=builder.as_markup())
    await query.answer()


async def ledger_status(
    query: CallbackQuery,
    callback_data: LedgerStatus,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    ledger_season_opens: tuple[int, int],
    t: Translator,
) -> None:
    """Enrolled asks for the stage, graduated for the destination; others are saved now."""
    member_id = callback_data.member_id
    if callback_data.status in ("enrolled", "graduated"):
        member = await member_for_edit(session, actor, member_id)
        if callback_data.status == "enrolled":
            text = t("{name}: which stage?", name=esc(member.name))
            markup = _choices(
                STAGES,
                STAGE_NAMES,
                lambda s: LedgerStage(member_id=member_id, stage=s),
                LedgerMember(member_id=member_id),
                t,
            )
        else:
            text = t("{name}: where did they go after graduating?", name=esc(member.name))
            markup = _choices(
                DESTINATIONS,
                DESTINATION_NAMES,
                lambda d: LedgerDestination(member_id=member_id, destination=d),
                LedgerMember(member_id=member_id),
                t,
            )
        if isinstance(query.message, Message):
            await query.message.edit_text(text, reply_markup=markup)
        await query.answer()
        return
    view = await set_member_status(
        session,
        actor,
        member_id,
        callback_data.status,
        clock,
        _rules(plan_rules, ledger_season_opens),
    )
    await _saved(query, view, t)
    if callback_data.status == "suspected_dropout" and isinstance(query.message, Message):
        text, markup = ledger_offer(member_id, t)
        await query.message.answer(text, reply_markup=markup)


async def ledger_stage(
    query: CallbackQuery,
    callback_data: LedgerStage,
    session: AsyncSession,
    actor: Actor,
    state: FSMContext,
    t: Translator,
) -> None:
    if callback_data.stage not in STAGES:
        raise InputRefused("stale_button")
    member = await member_for_edit(session, actor, callback_data.member_id)
    await state.set_state(LedgerFlow.school)
    await state.set_data({"member_id": member.id, "stage": callback_data.stage})
    if isinstance(query.message, Message):
        await query.message.edit_text(
            t(
                "{name}: type the school and the grade, for example: 栋川小学 四年级",
                name=esc(member.name),
            )
        )
    await query.answer()


async def ledger_typed_school(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    ledger_season_opens: tuple[int, int],
    state: FSMContext,
    t: Translator,
) -> None:
    data = await _flow_data(state, "member_id", "stage")
    view = await set_member_status(
        session,
        actor,
        int(data["member_id"]),
        "enrolled",
        clock,
        _rules(plan_rules, ledger_season_opens),
        stage=str(data["stage"]),
        school_grade=message.text or "",
    )
    await state.clear()
    await _send_view(message, view, t, t("\u2705 Saved.") + "\n\n")


async def ledger_destination(
    query: CallbackQuery,
    callback_data: LedgerDestination,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    ledger_season_opens: tuple[int, int],
    t: Translator,
) -> None:
    view = await set_member_status(
        session,
        actor,
        callback_data.member_id,
        "graduated",
        clock,
        _rules(plan_rules, ledger_season_opens),
        destination=callback_data.destination,
    )
    await _saved(query, view, t)


async def ledger_birth(
    query: CallbackQuery,
    callback_data: LedgerBirth,
    session: AsyncSession,
    actor: Actor,
    state: FSMContext,
    t: Translator,
) -> None:
    member = await member_for_edit(session, actor, callback_data.member_id)
    await state.set_state(LedgerFlow.birth)
    await state.set_data({"member_id": member.id})
    if isinstance(query.message, Message):
        await query.message.edit_text(
            t("{name}: type the birth date as YYYY-MM-DD.", name=esc(member.name))
        )
    await query.answer()


async def ledger_typed_birth(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    ledger_season_opens: tuple[int, int],
    state: FSMContext,
    t: Translator,
) -> None:
    data = await _flow_data(state, "member_id")
    view = await set_birth_date(
        session,
        actor,
        int(data["member_id"]),
        message.text or "",
        clock,
        _rules(plan_rules, ledger_season_opens),
    )
    await state.clear()
    await _send_view(message, view, t, t("\u2705 Saved.") + "\n\n")


async def ledger_needs(
    query: CallbackQuery,
    callback_data: LedgerNeeds,
    session: AsyncSession,
    actor: Actor,
    state: FSMContext,
    t: Translator,
) -> None:
    household = await household_for_edit(session, actor, callback_data.household_id)
    await state.set_state(LedgerFlow.needs)
    await state.set_data({"household_id": household.id})
    if isinstance(query.message, Message):
        await query.message.answer(
            t(
                "{code}: type what the household needs (or \u201cnone\u201d if nothing).",
                code=esc(household.code),
            )
        )
    await query.answer()


async def ledger_typed_needs(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    ledger_season_opens: tuple[int, int],
    state: FSMContext,
    t: Translator,
) -> None:
    data = await _flow_data(state, "household_id")
    view = await set_needs(
        session,
        actor,
        int(data["household_id"]),
        message.text or "",
        clock,
        _rules(plan_rules, ledger_season_opens),
    )
    await state.clear()
    await _send_view(message, view, t, t("\u2705 Saved.") + "\n\n")


async def ledger_aid_menu(
    query: CallbackQuery,
    callback_data: LedgerAidMenu,
    session: AsyncSession,
    actor: Actor,
    state: FSMContext,
    t: Translator,
) -> None:
    await state.clear()
    household = await household_for_edit(session, actor, callback_data.household_id)
    markup = _choices(
        AID_KINDS,
        AID_NAMES,
        lambda k: LedgerAidKind(household_id=household.id, kind=k),
        LedgerOpen(household_id=household.id),
        t,
    )
    if isinstance(query.message, Message):
        await query.message.answer(
            t("{code}: which aid did the household receive?", code=esc(household.code)),
            reply_markup=markup,
        )
    await query.answer()


async def ledger_aid_kind(
    query: CallbackQuery,
    callback_data: LedgerAidKind,
    session: AsyncSession,
    actor: Actor,
    state: FSMContext,
    t: Translator,
) -> None:
    if callback_data.kind not in AID_KINDS:
        raise InputRefused("stale_button")
    household = await household_for_edit(session, actor, callback_data.household_id)
    await state.set_state(LedgerFlow.aid)
    await state.set_data({"household_id": household.id, "kind": callback_data.kind})
    if isinstance(query.message, Message):
        await query.message.edit_text(
            t(
                "{kind}: type the amount in yuan, optionally followed by a note, "
                "for example: 1500 秋季学期",
                kind=t(AID_NAMES[callback_data.kind]),
            )
        )
    await query.answer()


async def ledger_typed_aid(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    ledger_season_opens: tuple[int, int],
    state: FSMContext,
    t: Translator,
) -> None:
    data = await _flow_data(state, "household_id", "kind")
    view = await add_aid(
        session,
        actor,
        int(data["household_id"]),
        str(data["kind"]),
        message.text or "",
        clock,
        _rules(plan_rules, ledger_season_opens),
    )
    await state.clear()
    await _send_view(message, view, t, t("\u2705 Saved.") + "\n\n")


async def ledger_reviewed(
    query: CallbackQuery,
    callback_data: LedgerReviewed,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    ledger_season_opens: tuple[int, int],
    t: Translator,
) -> None:
    view = await confirm_review(
        session,
        actor,
        callback_data.household_id,
        clock,
        _rules(plan_rules, ledger_season_opens),
    )
    await _saved(query, view, t)


async def _saved(query: CallbackQuery, view: LedgerView, t: Translator) -> None:
    if isinstance(query.message, Message):
        await _send_view(query.message, view, t, t("\u2705 Saved.") + "\n\n")
    await query.answer()


async def _flow_data(state: FSMContext, *keys: str) -> dict[str, Any]:
    """A typed answer is only valid while its question is open."""
    data = await state.get_data()
    if any(key not in data for key in keys):
        await state.clear()
        raise InputRefused("stale_button")
    return data


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="ledger")
    answer = F.text & ~F.text.startswith("/")
    router.message.register(ledger_command, Command("ledger"))
    router.callback_query.register(ledger_page, on(LedgerPage))
    router.callback_query.register(ledger_open, on(LedgerOpen))
    router.callback_query.register(ledger_member, on(LedgerMember))
    router.callback_query.register(ledger_status, on(LedgerStatus))
    router.callback_query.register(ledger_stage, on(LedgerStage))
    router.callback_query.register(ledger_destination, on(LedgerDestination))
    router.callback_query.register(ledger_birth, on(LedgerBirth))
    router.callback_query.register(ledger_needs, on(LedgerNeeds))
    router.callback_query.register(ledger_aid_menu, on(LedgerAidMenu))
    router.callback_query.register(ledger_aid_kind, on(LedgerAidKind))
    router.callback_query.register(ledger_reviewed, on(LedgerReviewed))
    router.message.register(ledger_typed_school, LedgerFlow.school, answer)
    router.message.register(ledger_typed_birth, LedgerFlow.birth, answer)
    router.message.register(ledger_typed_needs, LedgerFlow.needs, answer)
    router.message.register(ledger_typed_aid, LedgerFlow.aid, answer)
    return router
