"""Dropout cases (控辍保学): states, steps, who may take them, due times, reasons.

A case runs reported -> acknowledged -> (not a dropout: closed) | confirmed -> persuasion
attempts -> closed as returned, transferred, exempted or still out. The child's township
central school (its unit head and cadres) and supervisors take the steps; the reporter
(the household's cadre) may only report, and is told of every change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.errors import InputRefused, PermissionRefused
from domain.ledgers import age_on

REASONS: tuple[str, ...] = (
    "poverty",
    "learning",
    "work",
    "marriage",
    "illness",
    "family",
    "distance",
    "other",
)
# Words a cadre may type in the one-line form, Chinese and English, for each reason.
REASON_WORDS: dict[str, str] = {
    "贫困": "poverty",
    "因贫": "poverty",
    "poverty": "poverty",
    "poor": "poverty",
    "学习困难": "learning",
    "厌学": "learning",
    "learning": "learning",
    "务工": "work",
    "打工": "work",
    "work": "work",
    "婚嫁": "marriage",
    "早婚": "marriage",
    "marriage": "marriage",
    "疾病": "illness",
    "残疾": "illness",
    "疾病残疾": "illness",
    "illness": "illness",
    "disability": "illness",
    "家庭": "family",
    "family": "family",
    "路远": "distance",
    "距离": "distance",
    "distance": "distance",
    "其他": "other",
    "other": "other",
}

# Who may be the child out of school: compulsory education starts at 6 (age on September 1,
# as the ledger counts it), and a report also covers senior high; from 18 on, an adult.
SCHOOL_CHILD_AGES = (6, 17)


def may_be_school_child(birth: date | None, today: date) -> bool:
    """Offered as the child out of school: aged 6-17 on `today` (the plan's local date), or of
    unknown age (no birth date). Parents and grandparents are not; a new child can be added."""
    if birth is None:
        return True
    low, high = SCHOOL_CHILD_AGES
    return low <= age_on(birth, today) <= high


def check_school_child(name: str, birth: date | None, today: date) -> None:
    """Refuse a report on someone who cannot be a school child (an adult, a toddler)."""
    if birth is not None and not may_be_school_child(birth, today):
        raise InputRefused(
            "dropout_not_school_child",
            name=name,
            year=birth.year,
            age=age_on(birth, today),
            low=SCHOOL_CHILD_AGES[0],
            high=SCHOOL_CHILD_AGES[1],
        )


# States of a case; `closed` carries a closing kind.
REPORTED, ACKNOWLEDGED, CONFIRMED, CLOSED = "reported", "acknowledged", "confirmed", "closed"
CLOSINGS: tuple[str, ...] = ("not_a_dropout", "returned", "transferred", "exempted", "still_out")

# Step -> (state it is taken in, state after it).
STEPS: dict[str, tuple[str, str]] = {
    "acknowledge": (REPORTED, ACKNOWLEDGED),
    "not_a_dropout": (ACKNOWLEDGED, CLOSED),
    "confirm": (ACKNOWLEDGED, CONFIRMED),
    "persuade": (CONFIRMED, CONFIRMED),
    "returned": (CONFIRMED, CLOSED),
    "transferred": (CONFIRMED, CLOSED),
    "exempted": (CONFIRMED, CLOSED),
    "still_out": (CONFIRMED, CLOSED),
}
# Steps that need a typed answer: the outcome, the new school, the reason.
NEEDS_TEXT: frozenset[str] = frozenset({"persuade", "transferred", "exempted", "still_out"})
# Steps that cannot be undone, so a tap first asks "really?": the verdict and every closing.
CONFIRM_FIRST: frozenset[str] = frozenset(
    {"not_a_dropout", "confirm", "returned", "transferred", "exempted", "still_out"}
)

# What members.status becomes after a report or a step (None: unchanged).
STATUS_AFTER: dict[str, str] = {
    "report": "suspected_dropout",
    "confirm": "dropout",
    "not_a_dropout": "enrolled",
    "returned": "enrolled",
    "transferred": "enrolled",
    "exempted": "exempted",
    "still_out": "dropout",
}

# Default due times, counted in local days from the step that starts each wait.
ACKNOWLEDGE_DAYS = 3
VERIFY_DAYS = 7
RESOLVE_DAYS = 30
TEXT_LIMIT = 500
NAME_LIMIT = 50


@dataclass(frozen=True)
class DueRules:
    """Days allowed for each wait; the defaults are the plan's."""

    acknowledge_days: int = ACKNOWLEDGE_DAYS
    verify_days: int = VERIFY_DAYS
    resolve_days: int = RESOLVE_DAYS


@dataclass(frozen=True)
class CaseTimes:
    """When the case entered each state (UTC instants), as far as it got."""

    state: str
    reported_at: datetime
    acknowledged_at: datetime | None = None
    confirmed_at: datetime | None = None


def steps_in(state: str) -> tuple[str, ...]:
    """The steps that may be taken in `state`, in button order."""
    return tuple(step for step, (before, _) in STEPS.items() if before == state)


def parse_reason(text: str | None) -> str:
    """A reason keyword (zh or en) or a reason code; none given means `other`."""
    if not text or not text.strip():
        return "other"
    word = text.strip().lower()
    if word in REASONS:
        return word
    if word in REASON_WORDS:
        return REASON_WORDS[word]
    raise InputRefused("dropout_bad_reason", text=text.strip()[:20])


def check_since(since: date, today: date) -> None:
    """Out of school since a day that has happened."""
    if since > today:
        raise InputRefused("dropout_since_future", date=since.isoformat())


def clean_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """A typed answer: trimmed, not empty, not too long."""
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > limit:
        raise InputRefused("dropout_text_length", limit=limit, length=len(cleaned))
    return cleaned


def clean_child_name(text: str) -> str:
    return clean_text(text, NAME_LIMIT)


def check_step(
    case_id: int,
    state: str,
    step: str,
    *,
    school_member: bool,
    supervisor: bool,
    seen: int | None = None,
    events: int | None = None,
) -> str:
    """Refuse a step not allowed now or by this person; return the state after it.

    `seen` is how many events the card that was tapped showed, `events` how many the case has
    now: a card older than the case's last change is stale (its step may no longer fit)."""
    if not (school_member or supervisor):
        raise PermissionRefused("dropout_school_only", case=case_id)
    if seen is not None and events is not None and seen != events:
        raise InputRefused("stale_button")
    if step not in STEPS or STEPS[step][0] != state:
        raise InputRefused("dropout_step_not_now", case=case_id)
    return STEPS[step][1]


def may_see(*, reporter: bool, school_member: bool, supervisor: bool) -> bool:
    """Only the reporter, the responsible school and supervisors see a case."""
    return reporter or school_member or supervisor


def due_date(times: CaseTimes, tz: ZoneInfo, rules: DueRules = DueRules()) -> date | None:
    """The last local day allowed for the step the case waits on (None when closed)."""
    if times.state == REPORTED:
        start, days = times.reported_at, rules.acknowledge_days
    elif times.state == ACKNOWLEDGED and times.acknowledged_at is not None:
        start, days = times.acknowledged_at, rules.verify_days
    elif times.state == CONFIRMED and times.confirmed_at is not None:
        start, days = times.confirmed_at, rules.resolve_days
    else:
        return None
    return start.astimezone(tz).date() + timedelta(days=days)


def days_overdue(
    times: CaseTimes, now: datetime, tz: ZoneInfo, rules: DueRules = DueRules()
) -> int:
    """Whole local days past the due date (0 while on time or closed)."""
    due = due_date(times, tz, rules)
    if due is None:
        return 0
    return max(0, (now.astimezone(tz).date() - due).days)
