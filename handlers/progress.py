"""/progress: a unit head picks an open milestone, types the month's progress, done or not."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.errors import InputRefused
from domain.plan_rules import PlanRules
from handlers.callbacks import on
from services.actors import Actor
from services.progress import check_text, open_milestones, save_report, start_report
from ui.actions import ProgressDone, ProgressPick
from ui.i18n import Translator
from ui.render import esc


class ProgressFlow(StatesGroup):
    text = State()
    done = State()


async def progress_start(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
) -> None:
    listing = await open_milestones(session, actor, clock, plan_rules.tz, t.locale)
    await state.clear()
    if not listing.items:
        await message.answer(t("Your unit has no open milestones to report on."))
        return
    builder = InlineKeyboardBuilder()
    for item in listing.items:
        builder.button(
            text=f"{item.due_date.strftime('%m-%d')} {item.title}"[:60],
            callback_data=ProgressPick(milestone_id=item.milestone_id).pack(),
        )
    builder.adjust(1)
    await message.answer(
        t(
            "<b>Progress of {unit} for {month}</b>\n"
            "Pick a milestone, then type what your unit has done.",
            unit=esc(listing.unit_name),
            month=listing.month,
        ),
        reply_markup=builder.as_markup(),
    )


async def progress_pick(
    query: CallbackQuery,
    callback_data: ProgressPick,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
) -> None:
    item = await start_report(
        session, actor, callback_data.milestone_id, clock, plan_rules.tz, t.locale
    )
    await state.set_state(ProgressFlow.text)
    await state.set_data({"milestone_id": item.milestone_id, "title": item.title})
    if isinstance(query.message, Message):
        await query.message.edit_text(
            t(
                "Progress on \u201c{title}\u201d (due {date}). "
                "Type what your unit has done this month.",
                title=esc(item.title),
                date=item.due_date.isoformat(),
            )
        )
    await query.answer()


async def progress_text(message: Message, state: FSMContext, t: Translator) -> None:
    data = await state.get_data()
    if "milestone_id" not in data:
        raise InputRefused("stale_button")
    text = check_text(message.text)
    await state.set_state(ProgressFlow.done)
    await state.update_data(text=text)
    milestone_id = int(data["milestone_id"])
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t("\u2705 Mark done"),
        callback_data=ProgressDone(milestone_id=milestone_id, done=True).pack(),
    )
    builder.button(
        text=t("Not yet"), callback_data=ProgressDone(milestone_id=milestone_id, done=False).pack()
    )
    builder.adjust(2)
    await message.answer(
        t("Is \u201c{title}\u201d done for your unit?", title=esc(str(data.get("title", "")))),
        reply_markup=builder.as_markup(),
    )


async def progress_done(
    query: CallbackQuery,
    callback_data: ProgressDone,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    plan_rules: PlanRules,
    state: FSMContext,
    t: Translator,
) -> None:
    data = await state.get_data()
    if data.get("milestone_id") != callback_data.milestone_id or "text" not in data:
        raise InputRefused("stale_button")
    saved = await save_report(
        session,
        actor,
        callback_data.milestone_id,
        str(data["text"]),
        callback_data.done,
        clock,
        plan_rules.tz,
        t.locale,
    )
    await state.clear()
    lines = [
        t(
            "\u2705 Progress saved for {month}: \u201c{title}\u201d \u2014 {state}.",
            month=saved.month,
            title=esc(saved.milestone.title),
            state=t("done") if saved.done else t("not done yet"),
        ),
        esc(saved.text),
    ]
    if saved.replaced:
        lines.append(t("This replaces your unit's earlier report for {month}.", month=saved.month))
    if isinstance(query.message, Message):
        await query.message.edit_text("\n".join(lines))
    await query.answer()


def build_router() -> Router:
    """A fresh router per Dispatcher: no module-level state shared between bots."""
    router = Router(name="progress")
    router.message.register(progress_start, Command("progress"))
    router.callback_query.register(progress_pick, on(ProgressPick))
    router.message.register(progress_text, ProgressFlow.text, F.text, ~F.text.startswith("/"))
    router.callback_query.register(progress_done, on(ProgressDone))
    return router
