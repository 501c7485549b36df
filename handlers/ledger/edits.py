"""Ledger edits made with buttons alone: a member's schooling status, the review; and the
menus that lead to them."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from handlers.callbacks import on
from handlers.context import Context
from handlers.ledger.cards import instead_below
from handlers.replies import replace, show
from services.ledgers import confirm_review, household_for_edit, member_for_edit, set_member_status
from ui.actions import (
    LedgerAidMenu,
    LedgerDestination,
    LedgerMember,
    LedgerReviewed,
    LedgerStatus,
)
from ui.views.dropout_report import ledger_offer
from ui.views.ledger import aid_menu, ledger_screen, member_screen

# Statuses that need one more pick (the stage, or where they went) before they are saved.
PICK_NEXT = ("enrolled", "graduated")


async def member_menu(
    query: CallbackQuery,
    callback_data: LedgerMember | LedgerStatus,
    ctx: Context,
    state: FSMContext,
) -> None:
    """A member's menu; after enrolled or graduated, the stage or destination to pick."""
    await state.clear()
    member = await member_for_edit(ctx.session, ctx.actor, callback_data.member_id)
    picked = callback_data.status if isinstance(callback_data, LedgerStatus) else None
    await replace(query, member_screen(member, picked, ctx.t))


async def ledger_aid_menu(
    query: CallbackQuery, callback_data: LedgerAidMenu, ctx: Context, state: FSMContext
) -> None:
    await state.clear()
    household = await household_for_edit(ctx.session, ctx.actor, callback_data.household_id)
    await instead_below(query, aid_menu(household.id, household.code, ctx.t))


async def ledger_status(
    query: CallbackQuery, callback_data: LedgerStatus | LedgerDestination, ctx: Context
) -> None:
    """A status saved at once (graduated with the destination just picked); a suspected
    dropout is offered as a dropout case."""
    if isinstance(callback_data, LedgerDestination):
        status, destination = "graduated", callback_data.destination
    else:
        status, destination = callback_data.status, None
    member_id = callback_data.member_id
    view = await set_member_status(
        ctx.session,
        ctx.actor,
        ctx.clock,
        ctx.rules,
        member_id,
        status,
        record=callback_data.record,
        destination=destination,
    )
    await instead_below(query, ledger_screen(view, ctx.t, saved=True))
    if status == "suspected_dropout" and isinstance(query.message, Message):
        await show(query.message, ledger_offer(member_id, ctx.t))


async def ledger_reviewed(
    query: CallbackQuery, callback_data: LedgerReviewed, ctx: Context
) -> None:
    household_id = callback_data.household_id
    view = await confirm_review(ctx.session, ctx.actor, ctx.clock, ctx.rules, household_id)
    await instead_below(query, ledger_screen(view, ctx.t, saved=True))


def build_router() -> Router:
    router = Router(name="ledger-edits")
    router.callback_query.register(member_menu, on(LedgerMember))
    router.callback_query.register(member_menu, on(LedgerStatus, F.status.in_(PICK_NEXT)))
    router.callback_query.register(ledger_status, on(LedgerStatus))
    router.callback_query.register(ledger_status, on(LedgerDestination))
    router.callback_query.register(ledger_aid_menu, on(LedgerAidMenu))
    router.callback_query.register(ledger_reviewed, on(LedgerReviewed))
    return router
