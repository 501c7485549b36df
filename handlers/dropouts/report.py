"""/dropout: report a child out of school, guided or in one line, or from the ledger's offer."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from domain.dropouts import REASONS, check_school_child, clean_text
from domain.errors import InputRefused
from handlers.callbacks import on
from handlers.context import Context
from handlers.dropouts.flow import TYPED, case_write, flow_data
from handlers.flow import new_draft_token
from handlers.replies import replace, show, show_below
from services.dropouts import (
    DropoutReport,
    HouseholdChildren,
    check_child_name,
    child_for_report,
    household_children,
    my_households,
    one_line_report,
    parse_date_answer,
    report_dropout,
)
from ui import actions
from ui.i18n import Translator
from ui.view import View
from ui.views import dropout_report as screens
from ui.views.dropouts import report_reply


class DropoutFlow(StatesGroup):
    pick = State()
    child_name = State()
    child_birth = State()
    since = State()
    note = State()
    confirm = State()


async def dropout_command(
    message: Message, command: CommandObject, ctx: Context, state: FSMContext
) -> None:
    """`/dropout` guided, or `/dropout HOUSEHOLD_CODE CHILD_NAME [reason]` in one line."""
    await state.clear()
    if command.args and command.args.strip():
        report = one_line_report(command.args, ctx.clock, ctx.tz)
        outcome = await report_dropout(ctx.session, ctx.actor, report, case_write(message, ctx))
        await show(message, report_reply(outcome, ctx.tz, ctx.t))
        return
    items = await my_households(ctx.session, ctx.actor)
    if items:
        await state.set_state(DropoutFlow.pick)
    await show(message, screens.households_picker(items, 0, ctx.t))


async def dropout_page(
    query: CallbackQuery, callback_data: actions.DropoutPage, ctx: Context
) -> None:
    items = await my_households(ctx.session, ctx.actor)
    await replace(query, screens.households_picker(items, callback_data.page, ctx.t))


async def _household(household_id: int, ctx: Context, state: FSMContext) -> HouseholdChildren:
    """One of my households: the flow starts over with it."""
    household = await household_children(ctx.session, ctx.actor, household_id, ctx.today())
    await state.set_state(DropoutFlow.pick)
    await state.set_data(
        {"household_id": household.household_id, "code": household.code, "draft": new_draft_token()}
    )
    return household


async def dropout_household(
    query: CallbackQuery, callback_data: actions.DropoutHousehold, ctx: Context, state: FSMContext
) -> None:
    household = await _household(callback_data.household_id, ctx, state)
    await replace(query, screens.children_picker(household, ctx.t))


async def _at_reason(member_id: int, ctx: Context, state: FSMContext) -> View:
    """The child is known: ask why they are out of school."""
    household_id, code, name = await child_for_report(
        ctx.session, ctx.actor, member_id, ctx.today()
    )
    await state.set_state(DropoutFlow.pick)
    await state.set_data(
        {
            "household_id": household_id,
            "code": code,
            "member_id": member_id,
            "child": name,
            "draft": (draft := new_draft_token()),
        }
    )
    return screens.reason_picker(code, name, draft, ctx.t)


async def dropout_child(
    query: CallbackQuery, callback_data: actions.DropoutChild, ctx: Context, state: FSMContext
) -> None:
    await replace(query, await _at_reason(callback_data.member_id, ctx, state))


async def dropout_from_ledger(
    query: CallbackQuery,
    callback_data: actions.DropoutFromLedger,
    ctx: Context,
    state: FSMContext,
) -> None:
    """From the ledger's "suspected dropout": the flow starts at the reason for that child."""
    await show_below(query, await _at_reason(callback_data.member_id, ctx, state))


async def dropout_new_child(
    query: CallbackQuery, callback_data: actions.DropoutNewChild, ctx: Context, state: FSMContext
) -> None:
    household = await _household(callback_data.household_id, ctx, state)
    await state.set_state(DropoutFlow.child_name)
    await replace(query, screens.name_prompt(household.code, ctx.t))


async def dropout_typed_name(message: Message, ctx: Context, state: FSMContext) -> None:
    """The new child's name; one naming an adult of the household is refused at once."""
    data = await flow_data(state, "household_id")
    name = await check_child_name(
        ctx.session, ctx.actor, int(data["household_id"]), message.text or "", ctx.today()
    )
    await state.update_data(child=name)
    await state.set_state(DropoutFlow.child_birth)
    await show(message, screens.birth_prompt(name, data["draft"], ctx.t))


async def _ask_reason(state: FSMContext, t: Translator) -> View:
    data = await state.get_data()
    await state.set_state(DropoutFlow.pick)
    return screens.reason_picker(
        str(data.get("code", "?")), str(data.get("child", "?")), data["draft"], t
    )


async def dropout_typed_birth(message: Message, ctx: Context, state: FSMContext) -> None:
    data = await flow_data(state, "household_id", "child")
    birth = parse_date_answer(message.text or "", ctx.clock, ctx.tz)
    check_school_child(str(data["child"]), birth, ctx.today())
    await state.update_data(birth=birth.isoformat())
    await show(message, await _ask_reason(state, ctx.t))


async def dropout_reason(
    query: CallbackQuery, callback_data: actions.DropoutReason, ctx: Context, state: FSMContext
) -> None:
    await flow_data(state, "household_id", "child", token=callback_data.draft)
    if callback_data.reason not in REASONS:
        raise InputRefused("stale_button")
    await state.update_data(reason=callback_data.reason)
    await replace(query, screens.since_picker(ctx.today(), callback_data.draft, ctx.t))


async def dropout_since(
    query: CallbackQuery, callback_data: actions.DropoutSince, ctx: Context, state: FSMContext
) -> None:
    await flow_data(state, "household_id", "child", "reason", token=callback_data.draft)
    if callback_data.typed:
        await state.set_state(DropoutFlow.since)
        await replace(query, screens.date_prompt(ctx.today(), ctx.t))
        return
    await state.update_data(since=ctx.today().isoformat())
    await state.set_state(DropoutFlow.note)
    await show_below(query, screens.note_prompt(callback_data.draft, ctx.t))


async def dropout_typed_since(message: Message, ctx: Context, state: FSMContext) -> None:
    data = await flow_data(state, "household_id", "child", "reason")
    since = parse_date_answer(message.text or "", ctx.clock, ctx.tz)
    await state.update_data(since=since.isoformat())
    await state.set_state(DropoutFlow.note)
    await show(message, screens.note_prompt(data["draft"], ctx.t))


async def _ask_confirm(state: FSMContext, t: Translator) -> View:
    data = await flow_data(state, "household_id", "child", "reason", "since")
    await state.set_state(DropoutFlow.confirm)
    note = str(data["note"]) if data.get("note") else None
    return screens.confirm_screen(
        str(data["child"]),
        str(data["code"]),
        str(data["since"]),
        str(data["reason"]),
        note,
        data["draft"],
        t,
    )


async def dropout_skip(
    query: CallbackQuery, callback_data: actions.DropoutSkip, state: FSMContext, t: Translator
) -> None:
    await flow_data(state, "household_id", token=callback_data.draft)
    if callback_data.what == "birth":
        await flow_data(state, "household_id", "child")
        await replace(query, await _ask_reason(state, t))
    elif callback_data.what == "note":
        await replace(query, await _ask_confirm(state, t))
    else:
        raise InputRefused("stale_button")


async def dropout_typed_note(message: Message, state: FSMContext, t: Translator) -> None:
    await flow_data(state, "household_id", "child", "reason", "since")
    await state.update_data(note=clean_text(message.text or ""))
    await show(message, await _ask_confirm(state, t))


def _answers(data: dict[str, Any]) -> DropoutReport:
    """The flow's answers as a report: a picked member, or a new child with its birth date."""
    picked = "member_id" in data
    return DropoutReport(
        reason=str(data["reason"]),
        since=date.fromisoformat(str(data["since"])),
        household_id=int(data["household_id"]),
        member_id=int(data["member_id"]) if picked else None,
        child_name=None if picked else str(data["child"]),
        birth_date=date.fromisoformat(str(data["birth"])) if data.get("birth") else None,
        note=str(data["note"]) if data.get("note") else None,
    )


async def dropout_confirm(
    query: CallbackQuery, callback_data: actions.DropoutConfirm, ctx: Context, state: FSMContext
) -> None:
    await flow_data(state, "household_id", token=callback_data.draft)
    if not callback_data.ok:
        await state.clear()
        await replace(query, screens.cancelled(ctx.t))
        return
    report = _answers(await flow_data(state, "household_id", "child", "reason", "since"))
    outcome = await report_dropout(ctx.session, ctx.actor, report, case_write(query, ctx))
    await state.clear()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    await show_below(query, report_reply(outcome, ctx.tz, ctx.t))


def build_router() -> Router:
    router = Router(name="dropout-report")
    router.message.register(dropout_command, Command("dropout"))
    router.callback_query.register(dropout_page, on(actions.DropoutPage))
    router.callback_query.register(dropout_household, on(actions.DropoutHousehold))
    router.callback_query.register(dropout_child, on(actions.DropoutChild))
    router.callback_query.register(dropout_new_child, on(actions.DropoutNewChild))
    router.callback_query.register(dropout_from_ledger, on(actions.DropoutFromLedger))
    router.callback_query.register(dropout_reason, on(actions.DropoutReason))
    router.callback_query.register(dropout_since, on(actions.DropoutSince))
    router.callback_query.register(dropout_skip, on(actions.DropoutSkip))
    router.callback_query.register(dropout_confirm, on(actions.DropoutConfirm))
    router.message.register(dropout_typed_name, DropoutFlow.child_name, TYPED)
    router.message.register(dropout_typed_birth, DropoutFlow.child_birth, TYPED)
    router.message.register(dropout_typed_since, DropoutFlow.since, TYPED)
    router.message.register(dropout_typed_note, DropoutFlow.note, TYPED)
    return router
