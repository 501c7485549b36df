"""Who owes what on a day, per rule, as rendered reminders; and whether it is still owed.

A rule run only computes; the outbox's unique key makes a second run for the same day a
no-op, and the sender asks `still_owed` before sending, so a visit logged in the meantime
cancels its reminder.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.deadlines import LOOK_AHEAD, LOOK_BACK, UnitRef, units_not_done
from domain.dropouts import CaseTimes, days_overdue
from domain.periods import Month, Quarter
from domain.reminders import (
    DROPOUT_OVERDUE,
    HOUSEHOLD_VISIT,
    LEDGER_DEADLINE,
    MILESTONE,
    MONTHLY_NOTICE,
    PROGRESS_REQUEST,
    VILLAGE_VISIT,
    Occurrence,
    RuleSpec,
    milestone_occurrence,
)
from domain.roles import Role, receives_notice
from domain.status import ledger_season
from services.ledgers import incomplete_ledgers, incomplete_ledgers_by_cadre, ledger_completion
from services.reports.deadlines import milestones_with_progress
from services.reports.notice import monthly_notice
from storage.dropouts import CaseRow, cases_for
from storage.models import OutboxMessage
from storage.plan_queries import milestone_by_id
from storage.plan_settings import dropout_due_rules
from storage.reminders import (
    Recipient,
    cadres_with_unvisited,
    reachable_cadres,
    units_reported_in,
    unvisited_households,
)
from storage.village_visits import village_coverage_rows
from ui.actions import Action, CaseOpen, LedgerOpen, NoticeFiles, PickVillage, StatusVisit
from ui.i18n import Catalogs, Translator
from ui.render import chunks
from ui.views.dropouts import STATE_NAMES
from ui.views.notice import render_notice

NAMES_LISTED = 10
BUTTONS = 5
LABEL_LIMIT = 60


@dataclass(frozen=True)
class RuleContext:
    tz: ZoneInfo
    catalogs: Catalogs
    ledger_opens: tuple[int, int]


@dataclass(frozen=True)
class Reminder:
    """One message to one person, ready for the outbox."""

    recipient: Recipient
    rule: str
    period: str
    occurrence: str
    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)

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


def _button(label: str, data: Action) -> tuple[str, str]:
    return label[:LABEL_LIMIT], data.pack()


def _t(context: RuleContext, person: Recipient) -> Translator:
    return context.catalogs.translator(person.locale)


# ---- village visit ---------------------------------------------------------------------


async def _uncovered_villages(
    session: AsyncSession, month: Month
) -> dict[int, list[tuple[int, str, str]]]:
    """unit id -> [(village id, village name, unit name)] not yet visited in the month."""
    rows = await village_coverage_rows(session, month.first_day, month.last_day)
    owed: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for row in rows:
        if not row.covered:
            owed[row.unit_id].append((row.village_id, row.village_name, row.unit_name))
    return owed


async def _village(
    session: AsyncSession, occurrence: Occurrence, context: RuleContext
) -> list[Reminder]:
    month = Month.containing(occurrence.day)
    owed = await _uncovered_villages(session, month)
    reminders = []
    for person in await reachable_cadres(session, list(owed)):
        t = _t(context, person)
        villages = owed[person.unit_id]
        text = t(
            "\u23f0 {unit} has not yet visited {villages} this month ({month}). "
            "Any cadre of the unit can log the visit.",
            unit=villages[0][2],
            villages="、".join(name for _, name, _ in villages),
            month=str(month),
        )
        buttons = [
            _button(
                t("\U0001f3d8 Log the village visit: {village}", village=name),
                PickVillage(village_id=village_id),
            )
            for village_id, name, _ in villages
        ]
        reminders.append(
            Reminder(person, VILLAGE_VISIT, occurrence.period, occurrence.occurrence, text, buttons)
        )
    return reminders


async def _village_owed(session: AsyncSession, row: OutboxMessage, person: Recipient) -> bool:
    owed = await _uncovered_villages(session, _month(row.period))
    return person.unit_id in owed


def _month(text: str) -> Month:
    return Month.parse(text)


# ---- household visit --------------------------------------------------------------------


async def _household(
    session: AsyncSession, occurrence: Occurrence, context: RuleContext
) -> list[Reminder]:
    quarter = Quarter.containing(occurrence.day)
    unvisited = await unvisited_households(session, quarter.first_day, quarter.last_day)
    reminders = []
    for person in await reachable_cadres(session, cadre_ids=list(unvisited)):
        owed = unvisited[person.cadre_id]
        t = _t(context, person)
        listed = "、".join(f"{code} {head}" for _, code, head in owed[:NAMES_LISTED])
        if len(owed) > NAMES_LISTED:
            listed += t(" and {count} more", count=len(owed) - NAMES_LISTED)
        text = t(
            "\u23f0 {count} of your households have no visit yet in {quarter}, which ends on "
            "{end}: {households}. Tap one below after a visit today, or use /visit.",
            count=len(owed),
            quarter=str(quarter),
            end=quarter.last_day.isoformat(),
            households=listed,
        )
        buttons = [
            _button(
                t("\u2705 Visited {code} {head} today", code=code, head=head),
                StatusVisit(household_id=household_id),
            )
            for household_id, code, head in owed[:BUTTONS]
        ]
        reminders.append(
            Reminder(
                person, HOUSEHOLD_VISIT, occurrence.period, occurrence.occurrence, text, buttons
            )
        )
    return reminders


async def _household_owed(session: AsyncSession, row: OutboxMessage, person: Recipient) -> bool:
    year, number = row.period.split("-Q")
    quarter = Quarter(int(year), int(number))
    owing = await cadres_with_unvisited(
        session, [person.cadre_id], quarter.first_day, quarter.last_day
    )
    return person.cadre_id in owing


# ---- ledger deadline --------------------------------------------------------------------


async def _ledger(
    session: AsyncSession, occurrence: Occurrence, context: RuleContext
) -> list[Reminder]:
    season = ledger_season(occurrence.day, context.ledger_opens)
    if not season.opens <= occurrence.day <= season.deadline:
        return []
    incomplete = await incomplete_ledgers_by_cadre(
        session, season.year, season.opens, tz=context.tz
    )
    reminders = []
    for person in await reachable_cadres(session, cadre_ids=list(incomplete)):
        owed = incomplete[person.cadre_id]
        t = _t(context, person)
        listed = "、".join(f"{o.household_code} {o.head_name}" for o in owed[:NAMES_LISTED])
        if len(owed) > NAMES_LISTED:
            listed += t(" and {count} more", count=len(owed) - NAMES_LISTED)
        text = t(
            "\u23f0 Ledgers are due by {deadline}; {count} of yours are not complete yet: "
            "{households}.",
            deadline=season.deadline.isoformat(),
            count=len(owed),
            households=listed,
        )
        buttons = [
            _button(
                t("\U0001f4d2 Ledger {code} {head}", code=o.household_code, head=o.head_name),
                LedgerOpen(household_id=o.household_id),
            )
            for o in owed[:BUTTONS]
        ]
        reminders.append(
            Reminder(
                person, LEDGER_DEADLINE, str(season.year), occurrence.occurrence, text, buttons
            )
        )
    return reminders


async def _ledger_owed(
    session: AsyncSession, row: OutboxMessage, person: Recipient, context: RuleContext
) -> bool:
    season = ledger_season(date.fromisoformat(row.occurrence), context.ledger_opens)
    return bool(
        await incomplete_ledgers(session, person.cadre_id, season.year, season.opens, tz=context.tz)
    )


# ---- milestones ------------------------------------------------------------------------


async def _milestone_units_behind(
    session: AsyncSession, first: date, last: date
) -> list[tuple[int, date, str, str, list[UnitRef]]]:
    """(milestone id, due, title zh, title en, responsible units not done) due in [first, last]."""
    progress = await milestones_with_progress(session, first, last, "zh")
    return [
        (
            row.id,
            row.due_date,
            row.title_zh,
            row.title_en,
            units_not_done(row.responsible, facts.closed, progress.units, latest),
        )
        for row, facts, latest in progress.items
    ]


def _heads_first(people: list[Recipient]) -> list[Recipient]:
    """A unit's head gets the unit's reminders; a unit without a registered head, everyone."""
    heads = [p for p in people if p.role == Role.UNIT_HEAD]
    return heads or people


async def _milestone(
    session: AsyncSession, occurrence: Occurrence, spec: RuleSpec, context: RuleContext
) -> list[Reminder]:
    day = occurrence.day
    offsets = set(spec.days_left)
    first, last = day - timedelta(days=max(0, -min(offsets))), day + timedelta(days=max(offsets))
    reminders = []
    people = await reachable_cadres(session)
    by_unit: dict[int, list[Recipient]] = defaultdict(list)
    for person in people:
        by_unit[person.unit_id].append(person)
    for milestone_id, due, title_zh, title_en, behind in await _milestone_units_behind(
        session, first, last
    ):
        days_left = (due - day).days
        if days_left not in offsets:
            continue
        period, occurrence_key = milestone_occurrence(milestone_id, days_left)
        for unit in behind:
            for person in _heads_first(by_unit.get(unit.id, [])):
                t = _t(context, person)
                title = title_en if t.locale == "en" else title_zh
                if days_left > 0:
                    text = t(
                        "\u23f0 Milestone due on {date} (in {days} days): {title}. "
                        "Report progress with /progress.",
                        date=due.isoformat(),
                        days=days_left,
                        title=title,
                    )
                else:
                    text = t(
                        "\u26a0\ufe0f Milestone overdue since {date}: {title}. "
                        "Report it done or say how far it is with /progress.",
                        date=due.isoformat(),
                        title=title,
                    )
                reminders.append(Reminder(person, MILESTONE, period, occurrence_key, text))
    return reminders


async def _milestone_owed(session: AsyncSession, row: OutboxMessage, person: Recipient) -> bool:
    milestone = await milestone_by_id(session, int(row.period.removeprefix("milestone-")))
    if milestone is None:
        return False
    for found_id, _due, _zh, _en, behind in await _milestone_units_behind(
        session, milestone.due_date, milestone.due_date
    ):
        if found_id == milestone.id:
            return any(unit.id == person.unit_id for unit in behind)
    return False


# ---- monthly progress request -----------------------------------------------------------


async def _units_with_open_milestones(session: AsyncSession, day: date) -> dict[int, int]:
    """unit id -> how many milestones near `day` still concern it and are not done."""
    progress = await milestones_with_progress(session, day - LOOK_BACK, day + LOOK_AHEAD, "zh")
    open_count: dict[int, int] = defaultdict(int)
    for _row, facts, latest in progress.items:
        for unit in units_not_done(facts.selectors, facts.closed, progress.units, latest):
            open_count[unit.id] += 1
    return open_count


async def _progress(
    session: AsyncSession, occurrence: Occurrence, context: RuleContext
) -> list[Reminder]:
    month = Month.containing(occurrence.day)
    open_count = await _units_with_open_milestones(session, occurrence.day)
    reported = await units_reported_in(session, str(month))
    reminders = []
    for person in await reachable_cadres(session, [u for u in open_count if u not in reported]):
        if person.role != Role.UNIT_HEAD:
            continue
        t = _t(context, person)
        text = t(
            "\u23f0 Today is the last working day of {month}: please report your unit's "
            "progress on its {count} open milestones with /progress.",
            month=str(month),
            count=open_count[person.unit_id],
        )
        reminders.append(
            Reminder(person, PROGRESS_REQUEST, occurrence.period, occurrence.occurrence, text)
        )
    return reminders


async def _progress_owed(session: AsyncSession, row: OutboxMessage, person: Recipient) -> bool:
    return person.unit_id not in await units_reported_in(session, row.period)


# ---- monthly notice ----------------------------------------------------------------------


async def _notice(
    session: AsyncSession, occurrence: Occurrence, clock: Clock, context: RuleContext
) -> list[Reminder]:
    """The notice of the month just ended to every supervisor, in their language; the
    workbook and chart follow on a tap (a push of files to every supervisor would be heavy
    on a poor signal)."""
    supervisors = [p for p in await reachable_cadres(session) if receives_notice(Role(p.role))]
    month = Month.parse(occurrence.period)
    texts: dict[str, str] = {}
    reminders = []
    for person in supervisors:
        t = _t(context, person)
        if t.locale not in texts:
            notice = await monthly_notice(
                session, month, clock, context.tz, context.ledger_opens, t.locale
            )
            texts[t.locale] = next(iter(chunks(render_notice(notice, t))))
        button = _button(t("\U0001f4ca Workbook and chart"), NoticeFiles(month=str(month)))
        reminders.append(
            Reminder(
                person,
                MONTHLY_NOTICE,
                occurrence.period,
                occurrence.occurrence,
                texts[t.locale],
                [button],
            )
        )
    return reminders


# ---- dropout cases past a due time ------------------------------------------------------


async def _overdue_cases(
    session: AsyncSession, now: datetime, tz: ZoneInfo
) -> list[tuple[CaseRow, int]]:
    rows = await cases_for(session, everything=True, open_only=True)
    rules = await dropout_due_rules(session)
    found = []
    for row in rows:
        times = CaseTimes(row.state, row.reported_at, row.acknowledged_at, row.confirmed_at)
        days = days_overdue(times, now, tz, rules)
        if days > 0:
            found.append((row, days))
    return found


async def _dropouts(
    session: AsyncSession,
    occurrence: Occurrence,
    spec: RuleSpec,
    clock: Clock,
    context: RuleContext,
) -> list[Reminder]:
    """Each overdue step once to the school's people, and once to supervisors when it has
    been overdue for `escalate_after_days`. The period names the case and its state, so a
    case that moves on and falls behind again is reminded again."""
    now = max(clock.now(), fire_instant(spec, occurrence.day, context.tz))
    people = await reachable_cadres(session)
    supervisors = [p for p in people if p.role in (Role.SUPERVISOR, Role.ADMIN)]
    reminders = []
    for case, days in await _overdue_cases(session, now, context.tz):
        audiences = [("school", [p for p in people if p.unit_id == case.school_unit_id])]
        if days >= spec.escalate_after_days or case.school_unit_id is None:
            audiences.append(("supervisors", supervisors))
        for audience, recipients in audiences:
            for person in recipients:
                t = _t(context, person)
                text = t(
                    "\u26a0\ufe0f Dropout case overdue by {days} days: {child} "
                    "({household} {head}, {village}), {state}. Reported by {reporter}.",
                    days=days,
                    child=case.child_name,
                    household=case.household_code,
                    head=case.head_name,
                    village=case.village_name,
                    state=t(STATE_NAMES.get(case.state, case.state)),
                    reporter=case.reporter_name,
                )
                button = _button(t("\U0001f4cb Open the case"), CaseOpen(case_id=case.id))
                reminders.append(
                    Reminder(
                        person,
                        DROPOUT_OVERDUE,
                        f"case-{case.id}-{case.state}",
                        audience,
                        text,
                        [button],
                    )
                )
    return reminders


async def _dropout_owed(
    session: AsyncSession, row: OutboxMessage, clock: Clock, context: RuleContext
) -> bool:
    """Still open, still in the state it was reminded of, still overdue."""
    case_id, state = row.period.removeprefix("case-").split("-", 1)
    for case, _days in await _overdue_cases(session, clock.now(), context.tz):
        if case.id == int(case_id):
            return case.state == state
    return False


# ---- dispatch ------------------------------------------------------------------------------


async def due_reminders(
    session: AsyncSession,
    spec: RuleSpec,
    occurrence: Occurrence,
    context: RuleContext,
    clock: Clock,
) -> list[Reminder]:
    """Everyone who owes something for this occurrence, with the message to send them."""
    computations: dict[str, Callable[[], Awaitable[list[Reminder]]]] = {
        VILLAGE_VISIT: lambda: _village(session, occurrence, context),
        HOUSEHOLD_VISIT: lambda: _household(session, occurrence, context),
        LEDGER_DEADLINE: lambda: _ledger(session, occurrence, context),
        MILESTONE: lambda: _milestone(session, occurrence, spec, context),
        PROGRESS_REQUEST: lambda: _progress(session, occurrence, context),
        MONTHLY_NOTICE: lambda: _notice(session, occurrence, clock, context),
        DROPOUT_OVERDUE: lambda: _dropouts(session, occurrence, spec, clock, context),
    }
    compute = computations.get(spec.name)
    return await compute() if compute else []


async def still_owed(
    session: AsyncSession,
    row: OutboxMessage,
    person: Recipient,
    context: RuleContext,
    clock: Clock,
) -> bool:
    """Checked just before sending: the reason may have gone since the row was written."""
    if row.rule == VILLAGE_VISIT:
        return await _village_owed(session, row, person)
    if row.rule == HOUSEHOLD_VISIT:
        return await _household_owed(session, row, person)
    if row.rule == LEDGER_DEADLINE:
        return await _ledger_owed(session, row, person, context)
    if row.rule == MILESTONE:
        return await _milestone_owed(session, row, person)
    if row.rule == PROGRESS_REQUEST:
        return await _progress_owed(session, row, person)
    if row.rule == DROPOUT_OVERDUE:
        return await _dropout_owed(session, row, clock, context)
    return True


def fire_instant(spec: RuleSpec, day: date, tz: ZoneInfo) -> datetime:
    """When the rule fires on a local day: reminders are not sent before that moment."""
    return datetime.combine(day, time(spec.hour, spec.minute), tzinfo=tz)


async def _owing_cadres(
    session: AsyncSession,
    rule: str,
    period: str,
    occurrence: str,
    cadre_ids: list[int],
    context: RuleContext,
) -> set[int] | None:
    """Cadre ids who still owe (rule, period) in one query; None: ask per person instead."""
    if rule == HOUSEHOLD_VISIT:
        year, number = period.split("-Q")
        quarter = Quarter(int(year), int(number))
        return await cadres_with_unvisited(session, cadre_ids, quarter.first_day, quarter.last_day)
    if rule == LEDGER_DEADLINE:
        season = ledger_season(date.fromisoformat(occurrence), context.ledger_opens)
        ledgers = await ledger_completion(
            session, season.year, season.opens, held_at=None, tz=context.tz
        )
        return {c.cadre_id for c in ledgers if c.complete < c.households}
    return None


async def still_owed_many(
    session: AsyncSession,
    rows: list[OutboxMessage],
    people: dict[int, Recipient],
    context: RuleContext,
    clock: Clock,
) -> set[int]:
    """Ids of the rows whose reason still holds, with one query per (rule, period) group."""
    owed: set[int] = set()
    groups: dict[tuple[str, str, str], list[OutboxMessage]] = defaultdict(list)
    for row in rows:
        key_occurrence = row.occurrence if row.rule == LEDGER_DEADLINE else ""
        groups[(row.rule, row.period, key_occurrence)].append(row)
    for (rule, period, occurrence), members in groups.items():
        cadre_ids = sorted({row.cadre_id for row in members})
        owing = await _owing_cadres(session, rule, period, occurrence, cadre_ids, context)
        for row in members:
            person = people.get(row.cadre_id)
            if person is None:
                continue
            if owing is not None:
                if row.cadre_id in owing:
                    owed.add(row.id)
            elif await still_owed(session, row, person, context, clock):
                owed.add(row.id)
    return owed
