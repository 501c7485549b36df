"""Dropout cases: report a child out of school, walk the case to a close, list and count cases.

Every write runs in one transaction: the case, its event row (the history), the member's
schooling status and its ledger_changes row, and the outbox rows that tell the reporter and
the school, move together. The caller supplies how a change reads in each recipient's
language (services import no presentation); the outbox sender delivers it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.dropouts import (
    ACKNOWLEDGED,
    CLOSED,
    CONFIRMED,
    NEEDS_TEXT,
    REPORTED,
    STATUS_AFTER,
    CaseTimes,
    DueRules,
    check_school_child,
    check_since,
    check_step,
    clean_child_name,
    clean_text,
    days_overdue,
    due_date,
    may_be_school_child,
    may_see,
    parse_reason,
    steps_in,
)
from domain.errors import InputRefused, PermissionRefused
from domain.reminders import CASE_EVENT
from domain.roles import Role
from domain.visits import parse_visit_date
from services.actors import Actor
from services.transaction import unit_of_work
from storage import cadres as cadre_repo
from storage import dropouts as repo
from storage import households as household_repo
from storage import ledgers as ledger_repo
from storage.dropouts import Account, CaseRow, ChildRow, EventRow
from storage.notifications import Addressee, Notification, enqueue_notifications
from storage.plan_settings import dropout_due_rules

_LEADING_DATE = re.compile(r"^\s*(\d{4}[-/]\d{1,2}[-/]\d{1,2})\s*(.*)$", re.S)


@dataclass(frozen=True)
class DropoutReport:
    """What a cadre reports: a household, the child (an id or a name), reason, since, note."""

    reason: str
    since: date
    household_id: int | None = None
    household_code: str | None = None
    member_id: int | None = None
    child_name: str | None = None
    birth_date: date | None = None
    note: str | None = None


@dataclass(frozen=True)
class CaseView:
    row: CaseRow
    events: tuple[EventRow, ...]
    due: date | None
    overdue_days: int
    # Steps this person may take now (buttons); empty for the reporter and closed cases.
    steps: tuple[str, ...]


@dataclass(frozen=True)
class BirthNote:
    """A typed birth date for a child already on the roster: `filled` into an empty one, or
    `kept` aside because the roster has another (the roster's stays)."""

    kind: str
    recorded: date | None
    typed: date


@dataclass(frozen=True)
class CaseOutcome:
    view: CaseView
    kind: str
    new_case: bool = False
    duplicate: bool = False
    birth: BirthNote | None = None


@dataclass(frozen=True)
class CaseNews:
    """A change as one person is told of it: what happened, by whom, and the case now with
    the steps that person may take next (none for the reporter)."""

    kind: str
    actor_name: str
    case: CaseView
    actor_unit: str | None = None


# How a change reads in a recipient's language (None: the default): one or more messages.
RenderNews = Callable[[CaseNews, str | None], Sequence[Notification]]


@dataclass(frozen=True)
class CaseWrite:
    """What every change to a case needs besides its content: the clock, the plan's zone,
    how the change is told to others, and the Telegram event behind it (a redelivered
    update finds its own event row and adds nothing)."""

    clock: Clock
    tz: ZoneInfo
    render: RenderNews
    source: str | None = None


@dataclass(frozen=True)
class HouseholdChildren:
    household_id: int
    code: str
    head_name: str
    children: tuple[ChildRow, ...]


def _is_supervisor(actor: Actor) -> bool:
    return actor.role in (Role.SUPERVISOR, Role.ADMIN)


def _is_school(actor: Actor, row: CaseRow) -> bool:
    return row.school_unit_id is not None and actor.unit_id == row.school_unit_id


def _times(row: CaseRow) -> CaseTimes:
    return CaseTimes(row.state, row.reported_at, row.acknowledged_at, row.confirmed_at)


def _view(
    actor: Actor,
    row: CaseRow,
    events: list[EventRow],
    now: datetime,
    tz: ZoneInfo,
    rules: DueRules,
) -> CaseView:
    acts = _is_school(actor, row) or _is_supervisor(actor)
    return CaseView(
        row=row,
        events=tuple(events),
        due=due_date(_times(row), tz, rules),
        overdue_days=days_overdue(_times(row), now, tz, rules),
        steps=steps_in(row.state) if acts else (),
    )


async def _visible(session: AsyncSession, actor: Actor, case_id: int) -> CaseRow:
    """The case, only for its reporter, its school and supervisors (others: as if absent)."""
    row = await repo.case_by_id(session, case_id)
    if row is None or not may_see(
        reporter=row.reporter_id == actor.cadre_id,
        school_member=_is_school(actor, row),
        supervisor=_is_supervisor(actor),
    ):
        raise PermissionRefused("dropout_case_hidden", case=case_id)
    return row


async def _loaded(
    session: AsyncSession, actor: Actor, case_id: int, now: datetime, tz: ZoneInfo
) -> CaseView:
    row = await _visible(session, actor, case_id)
    events = await repo.events_of(session, case_id)
    return _view(actor, row, events, now, tz, await dropout_due_rules(session))


async def _my_household(
    session: AsyncSession, actor: Actor, *, household_id: int | None, code: str | None
) -> household_repo.HouseholdHolder:
    if household_id is not None:
        household = await household_repo.household_with_holder(session, household_id=household_id)
    else:
        household = await household_repo.household_with_holder(session, code=(code or "").strip())
    if household is None or household.holder_cadre_id != actor.cadre_id:
        # The same whether it exists or not: a typed code is echoed, an id shows nothing.
        if household_id is not None:
            raise PermissionRefused("household_not_yours")
        raise PermissionRefused("not_your_household", code=(code or "").strip()[:32])
    return household


async def _told(session: AsyncSession, actor: Actor, row: CaseRow) -> list[tuple[Account, bool]]:
    """The reporter (no buttons) and the school's people (with buttons), never the actor."""
    told: list[tuple[Account, bool]] = []
    if row.reporter_id != actor.cadre_id:
        reporter = await repo.account_of(session, row.reporter_id)
        if reporter is not None:
            told.append((reporter, False))
    if row.school_unit_id is not None:
        for account in await repo.school_accounts(session, row.school_unit_id):
            if account.cadre_id not in (actor.cadre_id, row.reporter_id):
                told.append((account, row.state != CLOSED))
    return told


async def _recorded(
    session: AsyncSession,
    actor: Actor,
    case_id: int,
    event: dict[str, Any],
    now: datetime,
    write: CaseWrite,
) -> CaseView:
    """Write the event and, in the same transaction, the outbox rows that tell of it (keyed
    by case and event: written once); returns the case as it is now, as the actor sees it."""
    event_id = await repo.add_event(
        session,
        {
            **event,
            "case_id": case_id,
            "actor_id": actor.cadre_id,
            "at": now,
            "source": write.source,
        },
    )
    row = await repo.case_by_id(session, case_id)
    assert row is not None
    events = await repo.events_of(session, case_id)
    view = _view(actor, row, events, now, write.tz, await dropout_due_rules(session))
    key = (CASE_EVENT, str(case_id), str(event_id))
    unit = (await cadre_repo.unit_of(session, actor.unit_id)).name
    for account, with_steps in await _told(session, actor, row):
        steps = steps_in(row.state) if with_steps else ()
        news = CaseNews(event["kind"], actor.name, replace(view, steps=steps), unit)
        to = Addressee(account.cadre_id, account.telegram_user_id)
        await enqueue_notifications(session, to, key, write.render(news, account.locale), now)
    return view


async def _seen(
    session: AsyncSession, actor: Actor, write: CaseWrite, now: datetime
) -> CaseView | None:
    """The case a redelivered update already changed (it adds nothing), else None."""
    if write.source is None:
        return None
    case_id = await repo.case_of_source(session, write.source)
    return None if case_id is None else await _loaded(session, actor, case_id, now, write.tz)


async def _set_status(
    session: AsyncSession,
    actor: Actor,
    now: datetime,
    member_id: int,
    status: str,
    school: str | None = None,
) -> None:
    """Keep members.status in step with the case, with a ledger_changes row per change."""
    member = await ledger_repo.member_by_id(session, member_id)
    if member is None:
        return
    values: dict[str, Any] = {"status": status}
    if school is not None:
        values["school"] = school
    await ledger_repo.change_member(
        session, member, values, changed_at=now, changed_by=actor.cadre_id
    )


# ---- the report -------------------------------------------------------------------------


async def my_households(session: AsyncSession, actor: Actor) -> list[tuple[int, str, str]]:
    async with unit_of_work(session):
        return await repo.held_households(session, actor.cadre_id)


async def household_children(
    session: AsyncSession, actor: Actor, household_id: int, today: date
) -> HouseholdChildren:
    """My household and those of its members who may be school children on `today` (the
    plan's local date; see domain.dropouts.may_be_school_child), to pick the child from."""
    async with unit_of_work(session):
        household = await _my_household(session, actor, household_id=household_id, code=None)
        members = await repo.children_of(session, household.id)
    children = tuple(m for m in members if may_be_school_child(m.birth_date, today))
    return HouseholdChildren(household.id, household.code, household.head_name, children)


async def child_for_report(
    session: AsyncSession, actor: Actor, member_id: int, today: date
) -> tuple[int, str, str]:
    """(household id, household code, child name) of a member of my household who may be a
    school child on `today` (an adult is refused, naming the rule)."""
    async with unit_of_work(session):
        member = await ledger_repo.member_by_id(session, member_id)
        if member is None:
            raise PermissionRefused("household_not_yours")  # as for someone else's child
        household = await _my_household(session, actor, household_id=member.household_id, code=None)
    check_school_child(member.name, member.birth_date, today)
    return household.id, household.code, member.name


async def check_child_name(
    session: AsyncSession, actor: Actor, household_id: int, name: str, today: date
) -> str:
    """A typed child's name, cleaned: refused at once when it names a member of my household
    who cannot be a school child (the report would attach the case to that adult)."""
    cleaned = clean_child_name(name)
    async with unit_of_work(session):
        await _my_household(session, actor, household_id=household_id, code=None)
        found = await repo.member_by_name(session, household_id, cleaned)
        member = None if found is None else await ledger_repo.member_by_id(session, found)
    if member is not None:
        check_school_child(member.name, member.birth_date, today)
    return cleaned


def parse_one_line(args: str) -> tuple[str, str, str | None]:
    """`HOUSEHOLD_CODE CHILD_NAME [reason]`."""
    parts = args.split()
    if len(parts) < 2 or len(parts) > 3:
        raise InputRefused("dropout_usage")
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


def one_line_report(args: str, clock: Clock, tz: ZoneInfo) -> DropoutReport:
    """`HOUSEHOLD_CODE CHILD_NAME [reason]`: out of school since today (default reason other)."""
    code, name, word = parse_one_line(args)
    since = local_today(clock, tz)
    return DropoutReport(parse_reason(word), since, household_code=code, child_name=name)


def parse_date_answer(text: str, clock: Clock, tz: ZoneInfo) -> date:
    """A typed date that has happened (today or before, in the plan zone)."""
    today = local_today(clock, tz)
    day = parse_visit_date(text, today)
    check_since(day, today)
    return day


async def _known_child(
    session: AsyncSession,
    actor: Actor,
    member_id: int,
    report: DropoutReport,
    now: datetime,
    today: date,
) -> BirthNote | None:
    """A member on the roster may be reported only if they may be a school child (by the
    roster's birth date). A typed birth date fills an empty one, else the roster's stays."""
    member = await ledger_repo.member_by_id(session, member_id)
    assert member is not None
    check_school_child(member.name, member.birth_date, today)
    typed = report.birth_date
    if typed is None or typed == member.birth_date:
        return None
    if member.birth_date is not None:
        return BirthNote("kept", member.birth_date, typed)
    check_school_child(member.name, typed, today)
    await ledger_repo.change_member(
        session, member, {"birth_date": typed}, changed_at=now, changed_by=actor.cadre_id
    )
    return BirthNote("filled", None, typed)


async def _child(
    session: AsyncSession,
    actor: Actor,
    household_id: int,
    report: DropoutReport,
    now: datetime,
    today: date,
) -> tuple[int, BirthNote | None]:
    """The reported child's member id: picked from the household, or found or added by name;
    never someone who cannot be a school child (see domain.dropouts.may_be_school_child)."""
    if report.member_id is not None:
        member = await repo.member_row(session, report.member_id)
        if member is None or member[0] != household_id:
            raise InputRefused("stale_button")
        return report.member_id, await _known_child(
            session, actor, report.member_id, report, now, today
        )
    name = clean_child_name(report.child_name or "")
    found = await repo.member_by_name(session, household_id, name)
    if found is not None:
        return found, await _known_child(session, actor, found, report, now, today)
    check_school_child(name, report.birth_date, today)
    member_id = await repo.add_member(session, household_id, name, report.birth_date)
    change = ledger_repo.change_row(
        household_id,
        "member",
        None,
        name,
        changed_at=now,
        changed_by=actor.cadre_id,
        member_id=member_id,
    )
    await ledger_repo.add_changes(session, [change])
    return member_id, None


async def _open_case(
    session: AsyncSession,
    actor: Actor,
    household_id: int,
    member_id: int,
    report: DropoutReport,
    now: datetime,
) -> tuple[int, bool]:
    """(case id, whether it is new): the child's open case, or a new one."""
    case_id = await repo.open_case_of(session, member_id)
    if case_id is not None:
        return case_id, False
    case_id = await repo.add_case(
        session,
        {
            "member_id": member_id,
            "household_id": household_id,
            "school_unit_id": await repo.central_school_of(session, household_id),
            "reporter_id": actor.cadre_id,
            "reason": report.reason,
            "since": report.since,
            "state": REPORTED,
            "reported_at": now,
        },
    )
    if case_id is not None:
        return case_id, True
    opened = await repo.open_case_of(session, member_id)  # by someone else a moment ago
    assert opened is not None
    return opened, False


async def report_dropout(
    session: AsyncSession,
    actor: Actor,
    report: DropoutReport,
    write: CaseWrite,
) -> CaseOutcome:
    """Open a case for the child, or add a report to its open case (one open case per child)."""
    now = write.clock.now()
    today = local_today(write.clock, write.tz)
    check_since(report.since, today)
    note = clean_text(report.note) if report.note else None
    async with unit_of_work(session):
        seen = await _seen(session, actor, write, now)
        if seen is not None:
            return CaseOutcome(seen, "report", duplicate=True)
        household = await _my_household(
            session, actor, household_id=report.household_id, code=report.household_code
        )
        member_id, birth = await _child(session, actor, household.id, report, now, today)
        case_id, new_case = await _open_case(session, actor, household.id, member_id, report, now)
        if new_case:
            await _set_status(session, actor, now, member_id, STATUS_AFTER["report"])
        kind = "report" if new_case else "rereport"
        # A second report keeps its own reason and date in the history.
        extra = None if new_case else f"{report.reason} {report.since.isoformat()}"
        event = {
            "kind": kind,
            "on_date": report.since,
            "note": " ".join(p for p in (extra, note) if p) or None,
        }
        # The reporter of a second report may be another cadre: they see what they reported.
        view = await _recorded(session, actor, case_id, event, now, write)
    return CaseOutcome(view, kind, new_case=new_case, birth=birth)


# ---- the workflow -----------------------------------------------------------------------


async def case_view(
    session: AsyncSession, actor: Actor, case_id: int, clock: Clock, tz: ZoneInfo
) -> CaseView:
    async with unit_of_work(session):
        return await _loaded(session, actor, case_id, clock.now(), tz)


def _checked(
    actor: Actor, row: CaseRow, step: str, seen: int | None = None, events: int | None = None
) -> str:
    """The state after the step, if this person may take it now from a card that shows the
    case as it is (`seen` events of `events`; else refused)."""
    return check_step(
        row.id,
        row.state,
        step,
        school_member=_is_school(actor, row),
        supervisor=_is_supervisor(actor),
        seen=seen,
        events=events,
    )


async def check_case_step(
    session: AsyncSession, actor: Actor, case_id: int, step: str, seen: int | None = None
) -> CaseRow:
    """Refuse a step before asking for its typed answer or a confirmation (forged or stale
    buttons: `seen` is how many events the tapped card showed)."""
    async with unit_of_work(session):
        row = await _visible(session, actor, case_id)
        events = len(await repo.events_of(session, case_id)) if seen is not None else None
    _checked(actor, row, step, seen, events)
    return row


def _split_date(text: str, today: date) -> tuple[date, str]:
    """`[YYYY-MM-DD] outcome`: the attempt's date, today unless given."""
    match = _LEADING_DATE.match(text)
    if match is None:
        return today, text
    day = parse_visit_date(match.group(1), today)
    check_since(day, today)
    return day, match.group(2)


def _answer(step: str, text: str | None, today: date) -> tuple[date, str | None]:
    """(the step's date, its note): a persuasion attempt may start with its own date."""
    if step not in NEEDS_TEXT:
        return today, None
    if text is None:
        raise InputRefused("stale_button")
    on_date = today
    if step == "persuade":
        on_date, text = _split_date(text, today)
    return on_date, clean_text(text)


def _moved(row: CaseRow, after: str, step: str, now: datetime) -> dict[str, Any]:
    """The case's new state and the time it reached it."""
    values: dict[str, Any] = {"state": after}
    if after == ACKNOWLEDGED:
        values["acknowledged_at"] = now
    elif after == CONFIRMED and row.state != CONFIRMED:
        values["confirmed_at"] = now
    elif after == CLOSED:
        values.update(closed_at=now, closing=step)
    return values


async def take_step(
    session: AsyncSession,
    actor: Actor,
    case_id: int,
    step: str,
    write: CaseWrite,
    text: str | None = None,
    seen: int | None = None,
) -> CaseOutcome:
    """Move the case one step (school or supervisor), keep the child's status in step; with
    `seen`, only from a card that shows the case's latest change (else a stale button)."""
    now = write.clock.now()
    today = local_today(write.clock, write.tz)
    async with unit_of_work(session):
        repeated = await _seen(session, actor, write, now)
        if repeated is not None:
            return CaseOutcome(repeated, step, duplicate=True)
        row = await _visible(session, actor, case_id)
        events = len(await repo.events_of(session, case_id)) if seen is not None else None
        after = _checked(actor, row, step, seen, events)
        on_date, note = _answer(step, text, today)
        if not await repo.move_case(session, case_id, row.state, _moved(row, after, step, now)):
            raise InputRefused("dropout_step_not_now", case=case_id)
        if step in STATUS_AFTER:
            school = note if step == "transferred" else None
            await _set_status(session, actor, now, row.member_id, STATUS_AFTER[step], school)
        event = {"kind": step, "on_date": on_date, "note": note}
        view = await _recorded(session, actor, case_id, event, now, write)
    return CaseOutcome(view, step)


@dataclass(frozen=True)
class CaseLine:
    row: CaseRow
    due: date | None
    overdue_days: int
    can_act: bool


async def my_cases(
    session: AsyncSession, actor: Actor, clock: Clock, tz: ZoneInfo
) -> list[CaseLine]:
    """Open cases I can act on (my school; county-wide for supervisors) and those I reported;
    overdue first (most days first), then by due date."""
    now = clock.now()
    async with unit_of_work(session):
        rows = await repo.cases_for(
            session,
            reporter_id=actor.cadre_id,
            school_unit_id=actor.unit_id,
            everything=_is_supervisor(actor),
            open_only=True,
        )
        rules = await dropout_due_rules(session)
    lines = [
        CaseLine(
            row,
            due_date(_times(row), tz, rules),
            days_overdue(_times(row), now, tz, rules),
            _is_school(actor, row) or _is_supervisor(actor),
        )
        for row in rows
    ]
    return sorted(
        lines, key=lambda c: (-c.overdue_days, c.due or date.max, c.row.reported_at, c.row.id)
    )


# ---- counts for the monthly notice ----------------------------------------------------

# English msgids; ui.views.notice marks them for translation.
COUNT_LABELS = ("open", "overdue", "reported this month", "closed this month")


def _times_at(
    instant: datetime,
    reported_at: datetime,
    acknowledged_at: datetime | None,
    confirmed_at: datetime | None,
) -> CaseTimes:
    """An open case as it stood at `instant` (a step taken later had not happened yet)."""
    acknowledged = acknowledged_at if acknowledged_at and acknowledged_at <= instant else None
    confirmed = confirmed_at if confirmed_at and confirmed_at <= instant else None
    state = CONFIRMED if confirmed else ACKNOWLEDGED if acknowledged else REPORTED
    return CaseTimes(state, reported_at, acknowledged, confirmed)


async def dropout_case_counts(session: AsyncSession, now: datetime, tz: ZoneInfo) -> dict[str, int]:
    """County-wide figures as of `now` (a month's last instant for a past month's notice):
    open and overdue cases then (reported by then, not closed by then), reported and closed
    in that local month.

    Keys are English msgids (translate them with t(label) when rendering).
    """
    today = now.astimezone(tz).date()
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(following, time.min, tzinfo=tz)
    async with unit_of_work(session):
        rows = await repo.case_times_open_at(session, now)
        reported = await repo.reported_between(session, start, end)
        closed = await repo.closed_between(session, start, end)
        rules = await dropout_due_rules(session)
    times = [_times_at(now, *row) for row in rows]
    overdue = sum(1 for t in times if days_overdue(t, now, tz, rules) > 0)
    open_label, overdue_label, reported_label, closed_label = COUNT_LABELS
    return {
        open_label: len(rows),
        overdue_label: overdue,
        reported_label: reported,
        closed_label: closed,
    }
