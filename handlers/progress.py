"""/progress: a unit head picks an open milestone, types the month's progress, done or not."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from domain.errors import InputRefused
from handlers.callbacks import on
from handlers.context import Context
from handlers.replies import replace, show
from services.progress import check_text, open_milestones, save_report, start_report
from ui.actions import ProgressDone, ProgressPick
from ui.i18n import Translator
from ui.views.progress import ask_done_view, ask_text_view, open_milestones_view, saved_view


class ProgressFlow(StatesGroup):
    text = State()
    done = State()


async def progress_start(message: Message, ctx: Context, state: FSMContext) -> None:
    listing = await open_milestones(ctx.session, ctx.actor, ctx.clock, ctx.tz, ctx.t.locale)
    await state.clear()
    await show(message, open_milestones_view(listing, ctx.t))


async def progress_pick(
    query: CallbackQuery, callback_data: ProgressPick, ctx: Context, state: FSMContext
) -> None:
    milestone_id = callback_data.milestone_id
    item = await start_report(ctx.session, ctx.actor, milestone_id, ctx.clock, ctx.tz, ctx.t.locale)
    await state.set_state(ProgressFlow.text)
    await state.set_data({"milestone_id": item.milestone_id, "title": item.title})
    await replace(query, ask_text_view(item, ctx.t))


async def progress_text(message: Message, state: FSMContext, t: Translator) -> None:
    data = await state.get_data()
    if "milestone_id" not in data:
        raise InputRefused("stale_button")
    text = check_text(message.text)
    await state.set_state(ProgressFlow.done)
    await state.update_data(text=text)
    await show(message, ask_done_view(int(data["milestone_id"]), str(data.get("title", "")), t))


async def progress_done(
    query: CallbackQuery, callback_data: ProgressDone, ctx: Context, state: FSMContext
) -> None:
    data = await state.get_data()
    if data.get("milestone_id") != callback_data.milestone_id or "text" not in data:
        raise InputRefused("stale_button")
    saved = await save_report(
        ctx.session,
        ctx.actor,
        callback_data.milestone_id,
        str(data["text"]),
        callback_data.done,
        ctx.clock,
        ctx.tz,
        ctx.t.locale,
    )
    await state.clear()
    await replace(query, saved_view(saved, ctx.t))


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="progress")
    router.message.register(progress_start, Command("progress"))
    router.callback_query.register(progress_pick, on(ProgressPick))
    router.message.register(progress_text, ProgressFlow.text, F.text, ~F.text.startswith("/"))
    router.callback_query.register(progress_done, on(ProgressDone))
    return router
