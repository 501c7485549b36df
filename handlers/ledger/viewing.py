"""/ledger: my households' ledgers (incomplete first), and one ledger."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.plan_rules import PlanRules
from handlers.callbacks import on
from handlers.replies import show, show_below
from services.actors import Actor
from services.ledgers import ledger_view
from services.reports.ledgers import my_ledgers
from ui.actions import LedgerOpen, LedgerPage
from ui.i18n import Translator
from ui.views.ledger import ledger_list, ledger_screen


async def ledger_of_code(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
) -> None:
    """`/ledger CODE`: one household's ledger (its holder edits it, a supervisor reads it)."""
    await state.clear()
    code = (command.args or "").split()[0]
    view = await ledger_view(session, actor, clock, plan_rules, code=code)
    await show(message, ledger_screen(view, t))


async def my_ledger_list(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
) -> None:
    """`/ledger`: my households, incomplete ledgers first."""
    await state.clear()
    await show(message, ledger_list(await my_ledgers(session, actor, clock, plan_rules), 0, t))


async def ledger_page(
    query: CallbackQuery,
    callback_data: LedgerPage,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    t: Translator,
) -> None:
    mine = await my_ledgers(session, actor, clock, plan_rules)
    await show_below(query, ledger_list(mine, callback_data.page, t))


async def ledger_open(
    query: CallbackQuery,
    callback_data: LedgerOpen,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
) -> None:
    await state.clear()
    household_id = callback_data.household_id
    view = await ledger_view(session, actor, clock, plan_rules, household_id=household_id)
    await show_below(query, ledger_screen(view, t))


def build_router() -> Router:
    router = Router(name="ledger-viewing")
    router.message.register(ledger_of_code, Command("ledger", magic=F.args))
    router.message.register(my_ledger_list, Command("ledger"))
    router.callback_query.register(ledger_page, on(LedgerPage))
    router.callback_query.register(ledger_open, on(LedgerOpen))
    return router
