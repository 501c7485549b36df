"""What every rule shares: its context, the reminder it produces and the protocol it keeps."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import NamedTuple, Protocol, overload
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.plan_rules import PlanRules
from domain.reminders import Occurrence, RuleSpec
from storage.models import OutboxMessage
from storage.reminders import Recipient
from ui.i18n import Catalogs, Translator
from ui.view import View


@dataclass(frozen=True)
class RuleContext:
    """The plan's zone and ledger season, and the catalogues to word each reminder in its
    recipient's language."""

    tz: ZoneInfo
    catalogs: Catalogs
    ledger_opens: tuple[int, int]

    @classmethod
    def of(cls, plan_rules: PlanRules, catalogs: Catalogs) -> RuleContext:
        return cls(plan_rules.tz, catalogs, plan_rules.ledger_season_opens)

    def translator(self, person: Recipient) -> Translator:
        return self.catalogs.translator(person.locale)


@dataclass(frozen=True)
class Packed:
    """A view's text and its buttons as (label, packed action) pairs, one a row: what a
    reminder carries. A rule sending one view to many people packs it once."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, view: View) -> Packed:
        return cls(view.text, tuple((b.label, b.action.pack()) for row in view.rows for b in row))


class Reminder(NamedTuple):
    """One message to one person, ready for the outbox. A named tuple, not a frozen
    dataclass: a province's rule run makes a million, and a tuple is made in a third of the
    time."""

    recipient: Recipient
    rule: str
    period: str
    occurrence: str
    text: str
    buttons: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(
        cls, recipient: Recipient, rule: str, period: str, occurrence: str, view: View
    ) -> Reminder:
        """The view's text and buttons, one a row, as (label, packed action) pairs."""
        packed = Packed.of(view)
        return cls(recipient, rule, period, occurrence, packed.text, packed.buttons)

    def outbox_values(self, not_before: datetime, now: datetime) -> dict[str, object]:
        return {
            "cadre_id": self.recipient.cadre_id,
            "chat_id": self.recipient.chat_id,
            "rule": self.rule,
            "period": self.period,
            "occurrence": self.occurrence,
            "text": self.text,
            "buttons": json.dumps(self.buttons, ensure_ascii=False),
            "state": "pending",
            "attempts": 0,
            "not_before": not_before,
            "created_at": now,
        }


@dataclass(frozen=True)
class Firing:
    """One occurrence of a rule being computed, in the rule run's transaction."""

    session: AsyncSession
    spec: RuleSpec
    occurrence: Occurrence
    context: RuleContext
    clock: Clock

    def t(self, person: Recipient) -> Translator:
        return self.context.translator(person)

    def reminder(
        self, person: Recipient, view: View, key: tuple[str, str] | None = None
    ) -> Reminder:
        """The reminder of this occurrence to `person`; `key` (period, occurrence) replaces
        the occurrence's own when the rule expands it (per milestone, per case)."""
        period, occurrence = key or (self.occurrence.period, self.occurrence.occurrence)
        return Reminder.of(person, self.spec.name, period, occurrence, view)


@dataclass(frozen=True)
class Batch:
    """Outbox rows of one rule about to be sent, each to a reachable person in `people`."""

    session: AsyncSession
    rows: Sequence[OutboxMessage]
    people: Mapping[int, Recipient]
    context: RuleContext
    clock: Clock

    def unit_of(self, row: OutboxMessage) -> int:
        return self.people[row.cadre_id].unit_id


class Rule(Protocol):
    """Who owes what for an occurrence, and which reminders of a batch are still owed."""

    name: str

    def due(self, firing: Firing) -> AsyncIterator[Reminder]:
        """Everyone who owes something for this occurrence, with the message to send them,
        as the rule reads them (a rule over every holder streams; nothing is held whole)."""
        ...

    async def still_owed(self, batch: Batch) -> set[int]:
        """Ids of the batch's rows whose reason still holds, in a fixed number of queries
        whatever the number of rows."""
        ...


@dataclass(frozen=True)
class FirstOf(Sequence[tuple[int, str, str]]):
    """The first households of a longer list (read so in the database) and its length:
    what a reminder names, buttons and counts. Reading past the first ones is refused
    rather than silently short."""

    first: tuple[tuple[int, str, str], ...]
    total: int

    def __len__(self) -> int:
        return self.total

    @overload
    def __getitem__(self, index: int) -> tuple[int, str, str]: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[tuple[int, str, str], ...]: ...

    def __getitem__(
        self, index: int | slice
    ) -> tuple[int, str, str] | tuple[tuple[int, str, str], ...]:
        loaded = len(self.first)
        if isinstance(index, slice):
            start, stop, _step = index.indices(self.total)
            if max(start, stop) > loaded:
                raise IndexError(f"only the first {loaded} of {self.total} were read")
            return self.first[index]
        if not -self.total <= index < loaded or (index < 0 and self.total > loaded):
            raise IndexError(f"only the first {loaded} of {self.total} were read")
        return self.first[index]

    def __iter__(self) -> Iterator[tuple[int, str, str]]:
        if self.total > len(self.first):
            raise IndexError(f"only the first {len(self.first)} of {self.total} were read")
        return iter(self.first)


def fire_instant(spec: RuleSpec, day: date, tz: ZoneInfo) -> datetime:
    """When the rule fires on a local day: reminders are not sent before that moment."""
    return datetime.combine(day, time(spec.hour, spec.minute), tzinfo=tz)
