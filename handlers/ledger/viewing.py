"""/ledger: my households' ledgers (incomplete first), and one ledger."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from handlers.callbacks import on
from handlers.context import Context
from handlers.ledger.cards import instead_below
from handlers.replies import replace, show, show_below
from services.ledgers import ledger_view
from services.reports.ledgers import my_ledgers
from ui.actions import LedgerBack, LedgerOpen, LedgerPage
from ui.view import View
from ui.views.ledger import ledger_list, ledger_screen


async def ledger_of_code(
    message: Message, command: CommandObject, ctx: Context, state: FSMContext
) -> None:
    """`/ledger CODE`: one household's ledger (its holder edits it, a supervisor reads it)."""
    await state.clear()
    code = (command.args or "").split()[0]
    view = await ledger_view(ctx.session, ctx.actor, ctx.clock, ctx.rules, code=code)
    await show(message, ledger_screen(view, ctx.t))


async def my_ledger_list(message: Message, ctx: Context, state: FSMContext) -> None:
    """`/ledger`: my households, incomplete ledgers first."""
    await state.clear()
    await show(message, await _listing(ctx, 0))


async def ledger_page(query: CallbackQuery, callback_data: LedgerPage, ctx: Context) -> None:
    """The list below; the card or page pressed loses its buttons."""
    await instead_below(query, await _listing(ctx, callback_data.page))


async def _listing(ctx: Context, page: int) -> View:
    """One page of my households' ledgers."""
    return ledger_list(await my_ledgers(ctx.session, ctx.actor, ctx.clock, ctx.rules), page, ctx.t)


async def _household_screen(ctx: Context, state: FSMContext, household_id: int) -> View:
    """A household's ledger, any half-finished edit dropped."""
    await state.clear()
    view = await ledger_view(
        ctx.session, ctx.actor, ctx.clock, ctx.rules, household_id=household_id
    )
    return ledger_screen(view, ctx.t)


async def ledger_open(
    query: CallbackQuery, callback_data: LedgerOpen, ctx: Context, state: FSMContext
) -> None:
    await show_below(query, await _household_screen(ctx, state, callback_data.household_id))


async def ledger_back(
    query: CallbackQuery, callback_data: LedgerBack, ctx: Context, state: FSMContext
) -> None:
    """« Back from a menu: the same message becomes the household's ledger again."""
    await replace(query, await _household_screen(ctx, state, callback_data.household_id))


def build_router() -> Router:
    router = Router(name="ledger-viewing")
    router.message.register(ledger_of_code, Command("ledger", magic=F.args))
    router.message.register(my_ledger_list, Command("ledger"))
    router.callback_query.register(ledger_page, on(LedgerPage))
    router.callback_query.register(ledger_open, on(LedgerOpen))
    router.callback_query.register(ledger_back, on(LedgerBack))
    return router
