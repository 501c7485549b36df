"""Ledger edits made with buttons alone: a member's schooling status, the review; and the
menus that lead to them."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.plan_rules import PlanRules
from handlers.callbacks import on
from handlers.replies import replace, show, show_below
from services.actors import Actor
from services.ledgers import confirm_review, household_for_edit, member_for_edit, set_member_status
from ui.actions import (
    LedgerAidMenu,
    LedgerDestination,
    LedgerMember,
    LedgerReviewed,
    LedgerStatus,
)
from ui.i18n import Translator
from ui.views.dropout_report import ledger_offer
from ui.views.ledger import aid_menu, ledger_screen, member_screen

# Statuses that need one more pick (the stage, or where they went) before they are saved.
PICK_NEXT = ("enrolled", "graduated")


async def member_menu(
    query: CallbackQuery,
    callback_data: LedgerMember | LedgerStatus,
    session: AsyncSession,
    actor: Actor,
    state: FSMContext,
    t: Translator,
) -> None:
    """A member's menu; after enrolled or graduated, the stage or destination to pick."""
    await state.clear()
    member = await member_for_edit(session, actor, callback_data.member_id)
    picked = callback_data.status if isinstance(callback_data, LedgerStatus) else None
    await replace(query, member_screen(member, picked, t))


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
    await show_below(query, aid_menu(household.id, household.code, t))


async def ledger_status(
    query: CallbackQuery,
    callback_data: LedgerStatus | LedgerDestination,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    t: Translator,
) -> None:
    """A status saved at once (graduated with the destination just picked); a suspected
    dropout is offered as a dropout case."""
    if isinstance(callback_data, LedgerDestination):
        status, destination = "graduated", callback_data.destination
    else:
        status, destination = callback_data.status, None
    member_id = callback_data.member_id
    view = await set_member_status(
        session, actor, clock, plan_rules, member_id, status, destination=destination
    )
    await show_below(query, ledger_screen(view, t, saved=True))
    if status == "suspected_dropout" and isinstance(query.message, Message):
        await show(query.message, ledger_offer(member_id, t))


async def ledger_reviewed(
    query: CallbackQuery,
    callback_data: LedgerReviewed,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    t: Translator,
) -> None:
    view = await confirm_review(session, actor, clock, plan_rules, callback_data.household_id)
    await show_below(query, ledger_screen(view, t, saved=True))


def build_router() -> Router:
    router = Router(name="ledger-edits")
    router.callback_query.register(member_menu, on(LedgerMember))
    router.callback_query.register(member_menu, on(LedgerStatus, F.status.in_(PICK_NEXT)))
    router.callback_query.register(ledger_status, on(LedgerStatus))
    router.callback_query.register(ledger_status, on(LedgerDestination))
    router.callback_query.register(ledger_aid_menu, on(LedgerAidMenu))
    router.callback_query.register(ledger_reviewed, on(LedgerReviewed))
    return router
