"""One dispatcher, rule name -> rule, for the rule run and for the sender's last check."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.reminders import Occurrence, RuleSpec
from reminders.rules.base import Batch, Firing, Reminder, Rule, RuleContext
from reminders.rules.dropout_overdue import DropoutOverdue
from reminders.rules.household_visit import HouseholdVisit
from reminders.rules.ledger_deadline import LedgerDeadline
from reminders.rules.milestone import Milestone
from reminders.rules.monthly_notice import MonthlyNotice
from reminders.rules.progress_request import ProgressRequest
from reminders.rules.village_visit import VillageVisit
from storage.models import OutboxMessage
from storage.reminders import Recipient

RULES: Mapping[str, Rule] = {
    rule.name: rule
    for rule in (
        VillageVisit(),
        HouseholdVisit(),
        LedgerDeadline(),
        Milestone(),
        ProgressRequest(),
        MonthlyNotice(),
        DropoutOverdue(),
    )
}


def due_reminders(
    session: AsyncSession,
    spec: RuleSpec,
    occurrence: Occurrence,
    context: RuleContext,
    clock: Clock,
) -> AsyncIterator[Reminder]:
    """Everyone who owes something for this occurrence, with the message to send them,
    streamed as the rule reads them (the rule's own stream: no generator in between, a
    province's preview passes a million reminders through)."""
    rule = RULES.get(spec.name)
    if rule is None:
        return _nothing()
    return rule.due(Firing(session, spec, occurrence, context, clock))


async def _nothing() -> AsyncIterator[Reminder]:
    return
    yield  # an async generator with no items


async def still_owed_many(
    session: AsyncSession,
    rows: Sequence[OutboxMessage],
    people: Mapping[int, Recipient],
    context: RuleContext,
    clock: Clock,
) -> set[int]:
    """Ids of the rows whose reason still holds, checked just before sending: each rule checks
    all its rows at once. Rows to people not in `people` never are; rows of a rule with no
    check (a one-off notification) always are."""
    by_rule: dict[str, list[OutboxMessage]] = defaultdict(list)
    for row in rows:
        if row.cadre_id in people:
            by_rule[row.rule].append(row)
    owed: set[int] = set()
    for name, members in by_rule.items():
        rule = RULES.get(name)
        if rule is None:
            owed |= {row.id for row in members}
        else:
            owed |= await rule.still_owed(Batch(session, members, people, context, clock))
    return owed
