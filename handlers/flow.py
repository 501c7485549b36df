"""The steps a household visit and a village visit share, written once.

Both flows reach a confirm card once the place and the date are known. Its buttons add
optional evidence (a location, photos) and typed answers (a note; who went, what was
discussed), then log the visit or cancel. A flow is described by a `FieldFlow`: its states,
its confirm button kind, its questions, its card and the service call that logs the draft.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, Protocol, TypeVar

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.errors import InputRefused
from domain.plan_rules import PlanRules
from handlers.callbacks import on
from handlers.cancel import CANCELLED
from handlers.context import Context
from handlers.evidence import telegram_fetch
from handlers.filters import Magic
from handlers.replies import replace, show
from services.actors import Actor
from services.evidence import Evidence, NewPhoto, Recorded, keep_photo_copies
from services.visits import chosen_visit_date, typed_visit_date
from ui.actions import ID_MAX, VillageStep, VisitStep
from ui.i18n import Translator
from ui.view import View
from ui.views.field_visit import ASK_LOCATION, ASK_PHOTOS, ask_date

# Typed text in a flow step, but not a command: /mystatus mid-flow is not a note.
NOT_A_COMMAND = ~F.text.startswith("/")
# A command with something after it: the one-line form.
WITH_ARGUMENTS = Magic(F.text.regexp(r"^\S+\s+\S"))  # on the loop (handlers.filters)
MAX_PHOTOS = 10

Draft = dict[str, Any]
Step = VisitStep | VillageStep


class Logged(Protocol):
    """An outcome of either visit service: what the report recorded."""

    @property
    def record(self) -> Recorded: ...


RequestT = TypeVar("RequestT")
OutcomeT = TypeVar("OutcomeT", bound=Logged)
LogVisit = Callable[[AsyncSession, Actor, RequestT, Clock, PlanRules], Awaitable[OutcomeT]]


@dataclass(frozen=True)
class Question:
    """An optional typed answer: its confirm button's action, its state, prompt and draft key."""

    action: str
    state: State
    prompt: str
    key: str


@dataclass(frozen=True)
class FieldFlow(Generic[RequestT, OutcomeT]):
    """One visit flow's parts; its methods are the shared handlers, `register` wires them."""

    group: type[StatesGroup]
    step: type[Step]
    place: str  # the draft key naming the place visited
    confirm: State
    typed_date: State
    location: State
    questions: tuple[Question, ...]
    card: Callable[[Draft, Translator], View]
    # The service's request from a one-line command's arguments and today (the plan zone's).
    parse: Callable[[str, date], RequestT]
    # The service's request from the draft, its visit date and its optional evidence.
    request: Callable[[Draft, date, Evidence], RequestT]
    log: LogVisit[RequestT, OutcomeT]
    outcome: Callable[[OutcomeT, Translator], str]

    async def one_line(self, message: Message, command: CommandObject, ctx: Context) -> None:
        """The whole visit in one command, for those who know their codes."""
        request = self.parse(command.args or "", ctx.today())
        outcome = await self.log(ctx.session, ctx.actor, request, ctx.clock, ctx.rules)
        await message.answer(self.outcome(outcome, ctx.t))

    async def draft(self, state: FSMContext, *needs: str, token: int | None = None) -> Draft:
        """The draft, while the user is in this flow and it names the place and `needs`;
        with `token`, only the draft that the pressed button was shown for."""
        draft = await draft_in(state, self.group, self.place, *needs)
        if token is not None and draft.get("draft") != token:
            raise InputRefused("stale_button")
        return draft

    async def date_picked(
        self, query: CallbackQuery, days_ago: int, ctx: Context, state: FSMContext
    ) -> None:
        """Today or yesterday lead to the card; "another date" asks for it to be typed."""
        if days_ago < 0:
            await state.set_state(self.typed_date)
            await replace(query, ask_date(ctx.today(), ctx.t))
            return
        visit_date = chosen_visit_date(days_ago, ctx.clock, ctx.rules)
        card = query.message.message_id if isinstance(query.message, Message) else None
        draft = await state.update_data(date=visit_date.isoformat(), card=card)
        await state.set_state(self.confirm)
        await replace(query, self.card(draft, ctx.t))

    async def date_typed(self, message: Message, ctx: Context, state: FSMContext) -> None:
        await self.draft(state)
        visit_date = typed_visit_date(message.text or "", ctx.clock, ctx.rules)
        draft = await state.update_data(date=visit_date.isoformat())
        await state.set_state(self.confirm)
        await self._card_below(message, state, draft, ctx.t)

    async def ask(
        self, query: CallbackQuery, callback_data: Step, state: FSMContext, t: Translator
    ) -> None:
        """A location, photos or a typed answer: each optional, each one question."""
        await self.draft(state, "date", token=callback_data.draft)
        keyboard: ReplyKeyboardMarkup | None = None
        if callback_data.action == "loc":
            next_state, prompt, keyboard = self.location, ASK_LOCATION, location_keyboard(t)
        elif callback_data.action == "photo":
            next_state, prompt = self.confirm, ASK_PHOTOS
        else:
            question = next(q for q in self.questions if q.action == callback_data.action)
            next_state, prompt = question.state, question.prompt
        await state.set_state(next_state)
        if isinstance(query.message, Message):
            await query.message.answer(t(prompt), reply_markup=keyboard)
        await query.answer()

    async def answered(
        self, message: Message, state: FSMContext, raw_state: str | None, t: Translator
    ) -> None:
        """A typed answer goes into the draft under its question's key."""
        question = next(q for q in self.questions if q.state.state == raw_state)
        await state.update_data({question.key: message.text})
        await self._noted(message, state, t)

    async def located(self, message: Message, state: FSMContext, t: Translator) -> None:
        assert message.location is not None
        await state.update_data(
            lat=message.location.latitude,
            lon=message.location.longitude,
            acc=message.location.horizontal_accuracy,
        )
        await self._noted(message, state, t)

    async def location_skipped(self, message: Message, state: FSMContext, t: Translator) -> None:
        await self._noted(message, state, t)

    async def _noted(self, message: Message, state: FSMContext, t: Translator) -> None:
        """Back to the card, the reply keyboard (if any) taken away."""
        draft = await self.draft(state, "date")
        await state.set_state(self.confirm)
        await message.answer(t("Noted."), reply_markup=ReplyKeyboardRemove())
        await self._card_below(message, state, draft, t)

    async def photo(self, message: Message, state: FSMContext, t: Translator) -> None:
        """A photo sent while a visit is being prepared is kept for it (optional evidence)."""
        draft = await self.draft(state)
        draft = await state.update_data(photos=_with_photo(draft, message))
        if "date" not in draft:
            await message.answer(t("Photo kept. Now choose the date of the visit above."))
            return
        await self._card_below(message, state, draft, t)

    async def _card_below(
        self, message: Message, state: FSMContext, draft: Draft, t: Translator
    ) -> None:
        """The card anew below the person's answer, where they look; the previous card loses
        its buttons, so one message in the chat acts on the draft."""
        card = await show(message, self.card(draft, t))
        previous = draft.get("card")
        await state.update_data(card=card.message_id)
        if isinstance(previous, int) and previous != card.message_id and message.bot:
            # Too old to edit (48 hours): its buttons stay, and a tap on them is stale.
            with contextlib.suppress(TelegramBadRequest):
                await message.bot.edit_message_reply_markup(
                    chat_id=message.chat.id, message_id=previous, reply_markup=None
                )

    async def log_it(
        self, query: CallbackQuery, callback_data: Step, bot: Bot, ctx: Context, state: FSMContext
    ) -> None:
        """Log the draft the card shows; the service re-checks the place and the date rules."""
        draft = await self.draft(state, "date", token=callback_data.draft)
        request = self.request(draft, date.fromisoformat(draft["date"]), _evidence(draft))
        outcome = await self.log(ctx.session, ctx.actor, request, ctx.clock, ctx.rules)
        await state.clear()
        await replace(query, View(self.outcome(outcome, ctx.t)))
        await keep_copies(bot, ctx.session, ctx.rules, outcome.record.new_photos)

    async def cancelled(
        self, query: CallbackQuery, callback_data: Step, state: FSMContext, t: Translator
    ) -> None:
        await self.draft(state, token=callback_data.draft)
        await state.clear()
        await replace(query, View(t(CANCELLED)))

    def register(self, router: Router) -> None:
        """The shared steps on `router`, after the flow's own first steps."""
        asks = {"loc", "photo", *(q.action for q in self.questions)}
        answers = [q.state for q in self.questions]
        router.message.register(self.date_typed, self.typed_date, F.text, NOT_A_COMMAND)
        router.callback_query.register(self.log_it, on(self.step, F.action == "ok"))
        router.callback_query.register(self.cancelled, on(self.step, F.action == "cancel"))
        router.callback_query.register(self.ask, on(self.step, F.action.in_(asks)))
        router.message.register(self.located, self.location, F.location)
        router.message.register(self.location_skipped, self.location, F.text, NOT_A_COMMAND)
        router.message.register(self.answered, StateFilter(*answers), F.text, NOT_A_COMMAND)
        router.message.register(
            self.photo, StateFilter(self.confirm, self.location, *answers), F.photo
        )


async def draft_in(state: FSMContext, group: type[StatesGroup], *needs: str) -> Draft:
    """The guard of every flow step: the user is in `group` now and its draft has `needs`.

    Anything else (an old card's button, another flow's, a step already done) is refused
    as a stale button, which answers the callback with the refusal and writes nothing.
    """
    data = await state.get_data()
    in_flow = await state.get_state() in group.__all_states_names__
    if not in_flow or any(key not in data for key in needs):
        raise InputRefused("stale_button")
    return data


def new_draft_token() -> int:
    """A fresh id for a draft: its buttons carry it, so an older card's button cannot act on
    a newer draft (the same household started again, or another one)."""
    return secrets.randbelow(ID_MAX) + 1


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


def _with_photo(draft: Draft, message: Message) -> list[list[str]]:
    """The draft's photos plus this one (its largest size); the same photo again is one."""
    assert message.photo
    largest = message.photo[-1]
    photos = [list(p) for p in draft.get("photos", []) if p[1] != largest.file_unique_id]
    photos.append([largest.file_id, largest.file_unique_id])
    return photos[-MAX_PHOTOS:]


def _evidence(draft: Draft) -> Evidence:
    """The draft's optional location and photos, as the services take them."""
    return Evidence(
        latitude=draft.get("lat"),
        longitude=draft.get("lon"),
        accuracy_m=draft.get("acc"),
        photos=tuple((file_id, unique_id) for file_id, unique_id in draft.get("photos", [])),
    )


async def keep_copies(
    bot: Bot, session: AsyncSession, rules: PlanRules, photos: tuple[NewPhoto, ...]
) -> None:
    """After the commit and the reply: copy new photos to the evidence folder, if enabled."""
    if rules.evidence_dir is not None and photos:
        await keep_photo_copies(session, telegram_fetch(bot), rules.evidence_dir, photos)
