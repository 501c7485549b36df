"""/dropout (report a child out of school) and /cases (the dropout-case workflow).

Buttons carry ids only; the service re-checks who may see and act on every press. People
other than the one acting are told after the commit, by `notify`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.dropouts import (
    CLOSED,
    NEEDS_TEXT,
    REASONS,
    clean_child_name,
    clean_text,
    parse_reason,
    steps_in,
)
from domain.errors import InputRefused
from domain.plan_rules import PlanRules
from handlers.callbacks import on
from services.actors import Actor
from services.dropouts import (
    CaseLine,
    CaseOutcome,
    CaseView,
    DropoutReport,
    check_case_step,
    child_for_report,
    household_children,
    my_cases,
    my_households,
    parse_date_answer,
    parse_one_line,
    report_dropout,
    take_step,
)
from services.dropouts import case_view as load_case
from ui.actions import (
    CaseOpen,
    CaseStep,
    DropoutChild,
    DropoutConfirm,
    DropoutFromLedger,
    DropoutHousehold,
    DropoutNewChild,
    DropoutPage,
    DropoutReason,
    DropoutSince,
    DropoutSkip,
)
from ui.i18n import Catalogs, Translator
from ui.render import chunks, esc
from ui.views.dropouts import (
    CLOSING_NAMES,
    EVENT_NAMES,
    REASON_NAMES,
    STATE_NAMES,
    STEP_BUTTONS,
    STEP_PROMPTS,
)

log = logging.getLogger(__name__)
PAGE_SIZE = 8
CASES_SHOWN = 30
RETRY_WAIT_MAX = 5
NOT_A_COMMAND = ~F.text.startswith("/")


class DropoutFlow(StatesGroup):
    pick = State()
    child_name = State()
    child_birth = State()
    since = State()
    note = State()
    confirm = State()


class CaseFlow(StatesGroup):
    text = State()


def _source(event: Message | CallbackQuery) -> str:
    """The Telegram event behind a write (a message in its chat, or a button press, both unique
    for ever): a redelivered update finds its own event row and adds nothing."""
    if isinstance(event, CallbackQuery):
        return f"cb:{event.id}"
    return f"msg:{event.chat.id}:{event.message_id}"


# ---- rendering ------------------------------------------------------------------------


def state_text(view_state: str, closing: str | None, t: Translator) -> str:
    if view_state == CLOSED and closing in CLOSING_NAMES:
        return t(CLOSING_NAMES[closing])
    return t(STATE_NAMES.get(view_state, view_state))


def case_text(view: CaseView, plan_rules: PlanRules, t: Translator) -> str:
    """A case with its whole history, in the reader's language."""
    row = view.row
    lines = [
        t(
            "\U0001f4c1 <b>Case #{case}</b>: {child} ({code} {head}, {village})",
            case=row.id,
            child=esc(row.child_name),
            code=esc(row.household_code),
            head=esc(row.head_name),
            village=esc(row.village_name),
        ),
        t(
            "Reason: {reason}; out of school since {since}.",
            reason=t(REASON_NAMES.get(row.reason, row.reason)),
            since=row.since.isoformat(),
        ),
        t(
            "School: {school}. Reported by {reporter}.",
            school=esc(row.school_name) if row.school_name else t("no central school on roster"),
            reporter=esc(row.reporter_name),
        ),
        t("State: <b>{state}</b>", state=state_text(row.state, row.closing, t)),
    ]
    if view.due is not None:
        if view.overdue_days:
            lines.append(
                t(
                    "\u26a0 Overdue: due {date}, {days} day(s) late.",
                    date=view.due.isoformat(),
                    days=view.overdue_days,
                )
            )
        else:
            lines.append(t("Next step due by {date}.", date=view.due.isoformat()))
    lines.append(t("<b>History</b>"))
    for event in view.events:
        when = event.at.astimezone(plan_rules.tz).strftime("%Y-%m-%d %H:%M")
        what = t(EVENT_NAMES.get(event.kind, event.kind))
        line = f"\u2022 {when} {what} \u2014 {esc(event.actor_name)}"
        if event.kind == "persuade" and event.on_date is not None:
            line += f" ({event.on_date.isoformat()})"
        if event.note:
            line += f": {esc(event.note)}"
        lines.append(line)
    return "\n".join(lines)


def steps_keyboard(
    case_id: int, steps: tuple[str, ...], t: Translator
) -> InlineKeyboardMarkup | None:
    if not steps:
        return None
    builder = InlineKeyboardBuilder()
    for step in steps:
        builder.button(
            text=t(STEP_BUTTONS[step]), callback_data=CaseStep(case_id=case_id, step=step).pack()
        )
    builder.adjust(2)
    return builder.as_markup()


async def _send(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
    parts = list(chunks(text))
    for index, part in enumerate(parts):
        await message.answer(part, reply_markup=markup if index == len(parts) - 1 else None)


def _headline(outcome: CaseOutcome, actor: Actor, t: Translator) -> str:
    row = outcome.view.row
    if outcome.kind == "report":
        return t(
            "\U0001f4e3 New dropout case #{case} reported by {name}: please acknowledge it.",
            case=row.id,
            name=esc(actor.name),
        )
    if outcome.kind == "rereport":
        return t(
            "\U0001f4e3 Case #{case} was reported again by {name}.",
            case=row.id,
            name=esc(actor.name),
        )
    return t(
        "\U0001f514 Case #{case}: {step} by {name}.",
        case=row.id,
        step=t(EVENT_NAMES.get(outcome.kind, outcome.kind)),
        name=esc(actor.name),
    )


async def notify(
    bot: Bot,
    catalogs: Catalogs,
    outcome: CaseOutcome,
    actor: Actor,
    plan_rules: PlanRules,
) -> None:
    """Tell the reporter and the school about a change, after the commit.

    A person who blocked the bot (403) or cannot be reached is skipped; the change stands.
    """
    for tell in outcome.tell:
        t = catalogs.translator(tell.account.locale)
        text = _headline(outcome, actor, t) + "\n\n" + case_text(outcome.view, plan_rules, t)
        steps = steps_in(outcome.view.row.state) if tell.with_steps else ()
        markup = steps_keyboard(outcome.view.row.id, steps, t)
        try:
            for index, part in enumerate(parts := list(chunks(text))):
                markup_here = markup if index == len(parts) - 1 else None
                await _deliver(bot, tell.account.telegram_user_id, part, markup_here)
        except TelegramAPIError as error:  # blocked (403), chat gone, still limited ...
            log.info(
                "case %s: cadre %s not reached: %s",
                outcome.view.row.id,
                tell.account.cadre_id,
                error,
            )


async def _deliver(bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Send once more after Telegram's retry_after (at most RETRY_WAIT_MAX seconds)."""
    try:
        await bot.send_message(chat_id, text, reply_markup=markup)
    except TelegramRetryAfter as error:
        await asyncio.sleep(min(error.retry_after, RETRY_WAIT_MAX))
        await bot.send_message(chat_id, text, reply_markup=markup)


def _report_reply(outcome: CaseOutcome, plan_rules: PlanRules, t: Translator) -> str:
    row = outcome.view.row
    if outcome.duplicate:
        head = t("This was already recorded; nothing was added.")
    elif outcome.new_case:
        if row.school_name:
            head = t(
                "\u2705 Case #{case} opened for {child} ({code}); {school} has been told.",
                case=row.id,
                child=esc(row.child_name),
                code=esc(row.household_code),
                school=esc(row.school_name),
            )
        else:
            head = t(
                "\u2705 Case #{case} opened for {child} ({code}). No central school is on the "
                "roster for this township: supervisors will follow it.",
                case=row.id,
                child=esc(row.child_name),
                code=esc(row.household_code),
            )
    else:
        head = t(
            "\u2139 {child} already has an open case #{case}; your report was added to it.",
            child=esc(row.child_name),
            case=row.id,
        )
    return head + "\n\n" + case_text(outcome.view, plan_rules, t)


# ---- /dropout: the report ---------------------------------------------------------------


def _households_keyboard(items: list[tuple[int, str, str]], page: int) -> InlineKeyboardMarkup:
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    builder = InlineKeyboardBuilder()
    for household_id, code, head in items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        builder.button(
            text=f"{code} {head}"[:60],
            callback_data=DropoutHousehold(household_id=household_id).pack(),
        )
    builder.adjust(1)
    if pages > 1:
        nav = InlineKeyboardBuilder()
        if page > 0:
            nav.button(text="\u2190", callback_data=DropoutPage(page=page - 1).pack())
        nav.button(text=f"{page + 1}/{pages}", callback_data=DropoutPage(page=page).pack())
        if page < pages - 1:
            nav.button(text="\u2192", callback_data=DropoutPage(page=page + 1).pack())
        builder.attach(nav)
    return builder.as_markup()


async def dropout_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
    bot: Bot,
    catalogs: Catalogs,
) -> None:
    """`/dropout` guided, or `/dropout HOUSEHOLD_CODE CHILD_NAME [reason]` in one line."""
    await state.clear()
    if command.args and command.args.strip():
        code, name, word = parse_one_line(command.args)
        report = DropoutReport(
            reason=parse_reason(word),
            since=local_today(clock, plan_rules.tz),
            household_code=code,
            child_name=name,
        )
        outcome = await report_dropout(
            session, actor, report, clock, plan_rules.tz, source=_source(message)
        )
        await _send(
            message,
            _report_reply(outcome, plan_rules, t),
            steps_keyboard(outcome.view.row.id, outcome.view.steps, t),
        )
        if not outcome.duplicate:
            await notify(bot, catalogs, outcome, actor, plan_rules)
        return
    items = await my_households(session, actor)
    if not items:
        await message.answer(t("You have no paired households on the roster."))
        return
    await state.set_state(DropoutFlow.pick)
    await message.answer(
        t("Report a child out of school. Which household?"),
        reply_markup=_households_keyboard(items, 0),
    )


async def dropout_page(
    query: CallbackQuery,
    callback_data: DropoutPage,
    session: AsyncSession,
    actor: Actor,
    t: Translator,
) -> None:
    items = await my_households(session, actor)
    if isinstance(query.message, Message):
        await query.message.edit_text(
            t("Report a child out of school. Which household?"),
            reply_markup=_households_keyboard(items, callback_data.page),
        )
    await query.answer()


async def dropout_household(
    query: CallbackQuery,
    callback_data: DropoutHousehold,
    session: AsyncSession,
    actor: Actor,
    state: FSMContext,
    t: Translator,
) -> None:
    household = await household_children(session, actor, callback_data.household_id)
    await state.set_state(DropoutFlow.pick)
    await state.set_data({"household_id": household.household_id, "code": household.code})
    builder = InlineKeyboardBuilder()
    for child in household.children:
        label = child.name + (f" ({child.birth_date.year})" if child.birth_date else "")
        builder.button(text=label[:60], callback_data=DropoutChild(member_id=child.id).pack())
    builder.button(
        text=t("\u2795 Add a child"),
        callback_data=DropoutNewChild(household_id=household.household_id).pack(),
    )
    builder.adjust(2)
    if isinstance(query.message, Message):
        await query.message.edit_text(
            t(
                "{code} {head}: which child is out of school?",
                code=esc(household.code),
                head=esc(household.head_name),
            ),
            reply_markup=builder.as_markup(),
        )
    await query.answer()


async def _ask_reason(state: FSMContext, t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    data = await state.get_data()
    builder = InlineKeyboardBuilder()
    for reason in REASONS:
        builder.button(
            text=t(REASON_NAMES[reason]), callback_data=DropoutReason(reason=reason).pack()
        )
    builder.adjust(2)
    text = t(
        "{code}: {child}. Why is the child out of school?",
        code=esc(data.get("code", "?")),
        child=esc(data.get("child", "?")),
    )
    return text, builder.as_markup()


async def dropout_child(
    query: CallbackQuery,
    callback_data: DropoutChild,
    session: AsyncSession,
    actor: Actor,
    state: FSMContext,
    t: Translator,
) -> None:
    await _start_at_reason(query, callback_data.member_id, session, actor, state, t, edit=True)


async def dropout_from_ledger(
    query: CallbackQuery,
    callback_data: DropoutFromLedger,
    session: AsyncSession,
    actor: Actor,
    state: FSMContext,
    t: Translator,
) -> None:
    """From the ledger's "suspected dropout": the flow starts at the reason for that child."""
    await _start_at_reason(query, callback_data.member_id, session, actor, state, t, edit=False)


async def _start_at_reason(
    query: CallbackQuery,
    member_id: int,
    session: AsyncSession,
    actor: Actor,
    state: FSMContext,
    t: Translator,
    *,
    edit: bool,
) -> None:
    household_id, code, name = await child_for_report(session, actor, member_id)
    await state.set_state(DropoutFlow.pick)
    await state.set_data(
        {"household_id": household_id, "code": code, "member_id": member_id, "child": name}
    )
    text, markup = await _ask_reason(state, t)
    if isinstance(query.message, Message):
        if edit:
            await query.message.edit_text(text, reply_markup=markup)
        else:
            await query.message.answer(text, reply_markup=markup)
    await query.answer()


async def dropout_new_child(
    query: CallbackQuery,
    callback_data: DropoutNewChild,
    session: AsyncSession,
    actor: Actor,
    state: FSMContext,
    t: Translator,
) -> None:
    household = await household_children(session, actor, callback_data.household_id)
    await state.set_state(DropoutFlow.child_name)
    await state.set_data({"household_id": household.household_id, "code": household.code})
    if isinstance(query.message, Message):
        await query.message.edit_text(t("{code}: type the child's name.", code=esc(household.code)))
    await query.answer()


async def dropout_typed_name(message: Message, state: FSMContext, t: Translator) -> None:
    await _flow_data(state, "household_id")
    name = clean_child_name(message.text or "")
    await state.update_data(child=name)
    await state.set_state(DropoutFlow.child_birth)
    builder = InlineKeyboardBuilder()
    builder.button(text=t("Skip"), callback_data=DropoutSkip(what="birth").pack())
    await message.answer(
        t("{child}: type the birth date as YYYY-MM-DD, or skip.", child=esc(name)),
        reply_markup=builder.as_markup(),
    )


async def dropout_typed_birth(
    message: Message, clock: Clock, plan_rules: PlanRules, state: FSMContext, t: Translator
) -> None:
    await _flow_data(state, "household_id", "child")
    birth = parse_date_answer(message.text or "", clock, plan_rules.tz)
    await state.update_data(birth=birth.isoformat())
    await state.set_state(DropoutFlow.pick)
    text, markup = await _ask_reason(state, t)
    await message.answer(text, reply_markup=markup)


async def dropout_reason(
    query: CallbackQuery,
    callback_data: DropoutReason,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
) -> None:
    await _flow_data(state, "household_id", "child")
    if callback_data.reason not in REASONS:
        raise InputRefused("stale_button")
    await state.update_data(reason=callback_data.reason)
    today = local_today(clock, plan_rules.tz)
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t("Today {date}", date=today.strftime("%m-%d")),
        callback_data=DropoutSince(typed=0).pack(),
    )
    builder.button(text=t("Another date"), callback_data=DropoutSince(typed=1).pack())
    builder.adjust(2)
    if isinstance(query.message, Message):
        await query.message.edit_text(
            t("Since when has the child been out of school?"), reply_markup=builder.as_markup()
        )
    await query.answer()


async def dropout_since(
    query: CallbackQuery,
    callback_data: DropoutSince,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
) -> None:
    await _flow_data(state, "household_id", "child", "reason")
    if callback_data.typed:
        await state.set_state(DropoutFlow.since)
        if isinstance(query.message, Message):
            await query.message.edit_text(t("Type the date as YYYY-MM-DD."))
        await query.answer()
        return
    await state.update_data(since=local_today(clock, plan_rules.tz).isoformat())
    if isinstance(query.message, Message):
        await _ask_note(query.message, state, t)
    await query.answer()


async def dropout_typed_since(
    message: Message, clock: Clock, plan_rules: PlanRules, state: FSMContext, t: Translator
) -> None:
    await _flow_data(state, "household_id", "child", "reason")
    since = parse_date_answer(message.text or "", clock, plan_rules.tz)
    await state.update_data(since=since.isoformat())
    await _ask_note(message, state, t)


async def _ask_note(message: Message, state: FSMContext, t: Translator) -> None:
    await state.set_state(DropoutFlow.note)
    builder = InlineKeyboardBuilder()
    builder.button(text=t("Skip"), callback_data=DropoutSkip(what="note").pack())
    await message.answer(
        t("Add a note (what you saw, who you spoke to), or skip."), reply_markup=builder.as_markup()
    )


async def dropout_skip(
    query: CallbackQuery,
    callback_data: DropoutSkip,
    state: FSMContext,
    t: Translator,
) -> None:
    if callback_data.what == "birth":
        await _flow_data(state, "household_id", "child")
        await state.set_state(DropoutFlow.pick)
        text, markup = await _ask_reason(state, t)
    elif callback_data.what == "note":
        await _flow_data(state, "household_id", "child", "reason", "since")
        await state.set_state(DropoutFlow.confirm)
        text, markup = _confirm_view(await state.get_data(), t)
    else:
        raise InputRefused("stale_button")
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)
    await query.answer()


async def dropout_typed_note(message: Message, state: FSMContext, t: Translator) -> None:
    await _flow_data(state, "household_id", "child", "reason", "since")
    await state.update_data(note=clean_text(message.text or ""))
    await state.set_state(DropoutFlow.confirm)
    text, markup = _confirm_view(await state.get_data(), t)
    await message.answer(text, reply_markup=markup)


def _confirm_view(data: dict[str, Any], t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        t(
            "Report {child} of {code} as out of school since {since}, reason: {reason}?",
            child=esc(data["child"]),
            code=esc(data["code"]),
            since=data["since"],
            reason=t(REASON_NAMES[data["reason"]]),
        )
    ]
    if data.get("note"):
        lines.append(t("Note: {note}", note=esc(data["note"])))
    builder = InlineKeyboardBuilder()
    builder.button(text=t("\u2705 Report"), callback_data=DropoutConfirm(ok=1).pack())
    builder.button(text=t("Cancel"), callback_data=DropoutConfirm(ok=0).pack())
    builder.adjust(2)
    return "\n".join(lines), builder.as_markup()


async def dropout_confirm(
    query: CallbackQuery,
    callback_data: DropoutConfirm,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
    bot: Bot,
    catalogs: Catalogs,
) -> None:
    if not callback_data.ok:
        await state.clear()
        if isinstance(query.message, Message):
            await query.message.edit_text(t("Cancelled. Nothing was reported."))
        await query.answer()
        return
    data = await _flow_data(state, "household_id", "child", "reason", "since")
    report = DropoutReport(
        reason=str(data["reason"]),
        since=date.fromisoformat(str(data["since"])),
        household_id=int(data["household_id"]),
        member_id=int(data["member_id"]) if "member_id" in data else None,
        child_name=None if "member_id" in data else str(data["child"]),
        birth_date=date.fromisoformat(str(data["birth"])) if data.get("birth") else None,
        note=str(data["note"]) if data.get("note") else None,
    )
    outcome = await report_dropout(
        session, actor, report, clock, plan_rules.tz, source=_source(query)
    )
    await state.clear()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await _send(
            query.message,
            _report_reply(outcome, plan_rules, t),
            steps_keyboard(outcome.view.row.id, outcome.view.steps, t),
        )
    await query.answer()
    if not outcome.duplicate:
        await notify(bot, catalogs, outcome, actor, plan_rules)


async def _flow_data(state: FSMContext, *keys: str) -> dict[str, Any]:
    """A button or typed answer is only valid while its question is open."""
    data = await state.get_data()
    if any(key not in data for key in keys):
        await state.clear()
        raise InputRefused("stale_button")
    return data


# ---- /cases: the workflow ---------------------------------------------------------------


def _case_line(line: CaseLine, t: Translator) -> str:
    row = line.row
    place = f"{esc(row.household_code)}, {esc(row.village_name)}"
    text = f"#{row.id} {esc(row.child_name)} ({place}): {state_text(row.state, row.closing, t)}"
    if line.overdue_days:
        text = "\u26a0 " + text + " " + t("overdue {days} day(s)", days=line.overdue_days)
    elif line.due is not None:
        text += " " + t("due {date}", date=line.due.isoformat())
    return text


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
    lines = await my_cases(session, actor, clock, plan_rules.tz)
    if not lines:
        await message.answer(t("No open dropout cases that concern you."))
        return
    text = "\n".join(
        [t("<b>Open dropout cases</b> ({count}), overdue first:", count=len(lines))]
        + [_case_line(line, t) for line in lines[:CASES_SHOWN]]
    )
    builder = InlineKeyboardBuilder()
    for line in lines[:CASES_SHOWN]:
        builder.button(
            text=f"#{line.row.id} {line.row.child_name}"[:60],
            callback_data=CaseOpen(case_id=line.row.id).pack(),
        )
    builder.adjust(3)
    await _send(message, text, builder.as_markup())


async def case_open(
    query: CallbackQuery,
    callback_data: CaseOpen,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    t: Translator,
) -> None:
    view = await load_case(session, actor, callback_data.case_id, clock, plan_rules.tz)
    if isinstance(query.message, Message):
        await _send(
            query.message,
            case_text(view, plan_rules, t),
            steps_keyboard(view.row.id, view.steps, t),
        )
    await query.answer()


async def case_step(
    query: CallbackQuery,
    callback_data: CaseStep,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
    bot: Bot,
    catalogs: Catalogs,
) -> None:
    case_id, step = callback_data.case_id, callback_data.step
    if step in NEEDS_TEXT:
        await check_case_step(session, actor, case_id, step)
        await state.set_state(CaseFlow.text)
        await state.set_data({"case_id": case_id, "step": step})
        if isinstance(query.message, Message):
            await query.message.answer(t(STEP_PROMPTS[step], case=case_id))
        await query.answer()
        return
    outcome = await take_step(
        session, actor, case_id, step, clock, plan_rules.tz, source=_source(query)
    )
    await _after_step(
        query.message if isinstance(query.message, Message) else None,
        outcome,
        actor,
        plan_rules,
        t,
        bot,
        catalogs,
    )
    await query.answer()


async def case_typed_text(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
    bot: Bot,
    catalogs: Catalogs,
) -> None:
    data = await _flow_data(state, "case_id", "step")
    outcome = await take_step(
        session,
        actor,
        int(data["case_id"]),
        str(data["step"]),
        clock,
        plan_rules.tz,
        text=message.text or "",
        source=_source(message),
    )
    await state.clear()
    await _after_step(message, outcome, actor, plan_rules, t, bot, catalogs)


async def _after_step(
    message: Message | None,
    outcome: CaseOutcome,
    actor: Actor,
    plan_rules: PlanRules,
    t: Translator,
    bot: Bot,
    catalogs: Catalogs,
) -> None:
    view = outcome.view
    if message is not None:
        head = (
            t("This was already recorded; nothing was added.")
            if outcome.duplicate
            else t("\u2705 Saved.")
        )
        await _send(
            message,
            head + "\n\n" + case_text(view, plan_rules, t),
            steps_keyboard(view.row.id, view.steps, t),
        )
    if not outcome.duplicate:
        await notify(bot, catalogs, outcome, actor, plan_rules)


def ledger_offer(member_id: int, t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """What the ledger sends after a child is marked "suspected dropout"."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t("Report as a dropout case"),
        callback_data=DropoutFromLedger(member_id=member_id).pack(),
    )
    return t(
        "The child's township central school takes up a dropout case: report it?"
    ), builder.as_markup()


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="dropouts")
    answer = F.text & NOT_A_COMMAND
    router.message.register(dropout_command, Command("dropout"))
    router.message.register(cases_command, Command("cases"))
    router.callback_query.register(dropout_page, on(DropoutPage))
    router.callback_query.register(dropout_household, on(DropoutHousehold))
    router.callback_query.register(dropout_child, on(DropoutChild))
    router.callback_query.register(dropout_new_child, on(DropoutNewChild))
    router.callback_query.register(dropout_from_ledger, on(DropoutFromLedger))
    router.callback_query.register(dropout_reason, on(DropoutReason))
    router.callback_query.register(dropout_since, on(DropoutSince))
    router.callback_query.register(dropout_skip, on(DropoutSkip))
    router.callback_query.register(dropout_confirm, on(DropoutConfirm))
    router.callback_query.register(case_open, on(CaseOpen))
    router.callback_query.register(case_step, on(CaseStep))
    router.message.register(dropout_typed_name, DropoutFlow.child_name, answer)
    router.message.register(dropout_typed_birth, DropoutFlow.child_birth, answer)
    router.message.register(dropout_typed_since, DropoutFlow.since, answer)
    router.message.register(dropout_typed_note, DropoutFlow.note, answer)
    router.message.register(case_typed_text, CaseFlow.text, answer)
    return router
