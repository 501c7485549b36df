"""Household ledgers (台账): what a complete ledger holds and when a year's season opens.

The plan wants every paired household's ledger complete and updated by the end of
November. A ledger is complete for year Y when:

- every member whose age on September 1 of Y is 6-15 (compulsory schooling) has a status;
- every enrolled member (any age) has a stage, a school and a grade (no grade in preschool:
  kindergartens have no grades, and preschool is not compulsory);
- every graduated member (any age) has a destination (senior, vocational, university, work,
  other);
- a member with neither a birth date nor a status is unknown: we cannot tell whether the
  child is of school age, so the birth date is missing;
- the household's needs are written (may be "无"/"none");
- its cadre confirmed it as reviewed at or after the season opened (September 1 of Y by
  default, in the plan's time zone). Edits after the review do not undo it: a cadre who
  corrects a detail after confirming should not lose the whole ledger.

Pure rules, no framework: the same code serves the bot, the reports and any other channel.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from domain.errors import InputRefused

COMPULSORY_AGES = (6, 15)
# Age is counted on the school year's cut-off date, September 1.
AGE_CUTOFF_MONTH_DAY = (9, 1)

MAX_NEEDS_LENGTH = 500
MAX_SCHOOL_LENGTH = 100
MAX_GRADE_LENGTH = 32
MAX_AID_NOTE_LENGTH = 200
MAX_AID_AMOUNT = Decimal("1000000")

# Statuses a cadre may set from the ledger; "dropout" (confirmed) is left to the dropout case.
EDITABLE_STATUSES: tuple[str, ...] = (
    "enrolled",
    "graduated",
    "suspected_dropout",
    "suspended",
    "exempted",
    "not_school_age",
)
STAGES: tuple[str, ...] = ("preschool", "primary", "junior", "senior", "vocational", "university")
# Stages without grades: the school (kindergarten) is enough.
STAGES_WITHOUT_GRADE: tuple[str, ...] = ("preschool",)
DESTINATIONS: tuple[str, ...] = ("senior", "vocational", "university", "work", "other")
AID_KINDS: tuple[str, ...] = (
    "living_allowance",
    "nutrition",
    "bursary",
    "fee_waiver",
    "rain_dew",
    "other",
)

# Missing reasons; member-level ones are written "<reason>:<member name>".
MISSING_NEEDS = "needs"
MISSING_REVIEW = "review"
MISSING_BIRTH_DATE = "birth_date"
MISSING_STATUS = "status"
MISSING_STAGE = "stage"
MISSING_SCHOOL = "school"
MISSING_GRADE = "grade"
MISSING_DESTINATION = "destination"


@dataclass(frozen=True)
class MemberFacts:
    """What the ledger knows about one household member."""

    name: str
    birth_date: date | None = None
    status: str | None = None
    stage: str | None = None
    school: str | None = None
    grade: str | None = None
    destination: str | None = None


@dataclass(frozen=True)
class LedgerFacts:
    """A household's ledger for one year, as far as completeness is concerned."""

    members: tuple[MemberFacts, ...]
    needs: str | None
    reviewed_at: datetime | None


def age_on(birth: date, day: date) -> int:
    """Whole years from birth to `day` (a Feb 29 birthday counts from March 1 in other years)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_cutoff(year: int) -> date:
    month, day = AGE_CUTOFF_MONTH_DAY
    return date(year, month, day)


def of_compulsory_age(birth: date, year: int) -> bool:
    """Age 6-15 on September 1 of the ledger year."""
    low, high = COMPULSORY_AGES
    return low <= age_on(birth, age_cutoff(year)) <= high


def season_opening(year: int, opens_month_day: tuple[int, int]) -> date:
    month, day = opens_month_day
    return date(year, month, day)


def season_start(opens: date, tz: ZoneInfo) -> datetime:
    """The season's first instant: midnight of its opening day in the plan's zone, as UTC."""
    return datetime.combine(opens, time(0), tzinfo=tz).astimezone(UTC)


def ledger_year(today: date, opens_month_day: tuple[int, int]) -> int:
    """The ledger year being collected: that of the latest season opening on or before today.

    Before September a cadre still finishes last year's ledger (as /mystatus shows it).
    """
    return today.year if today >= season_opening(today.year, opens_month_day) else today.year - 1


def parse_month_day(text: str) -> tuple[int, int]:
    """Read "MM-DD" as (month, day); ValueError names the problem (used by the settings)."""
    match = re.fullmatch(r"\s*(\d{1,2})-(\d{1,2})\s*", text)
    if match is None:
        raise ValueError(f"expected MM-DD, e.g. 09-01, got {text!r}")
    month, day = int(match.group(1)), int(match.group(2))
    try:
        date(2001, month, day)  # a non-leap year: Feb 29 would not open every year
    except ValueError:
        raise ValueError(f"no such day of the year: {text!r}") from None
    return month, day


def schooling_token(member: MemberFacts) -> int:
    """A short fingerprint of a member's schooling record (status, stage, school, grade,
    destination). A status button carries the one of the record it was shown for: a tap on a
    picker shown before a later change no longer matches, and is refused as stale."""
    record = (member.status, member.stage, member.school, member.grade, member.destination)
    return zlib.crc32("\x1f".join(value or "" for value in record).encode()) % 1_000_000


def member_missing(member: MemberFacts, year: int) -> tuple[str, ...]:
    """What one member's record lacks for year `year` (reason codes without the name)."""
    missing: list[str] = []
    if member.status is None:
        if member.birth_date is None:
            missing.append(MISSING_BIRTH_DATE)
        elif of_compulsory_age(member.birth_date, year):
            missing.append(MISSING_STATUS)
    elif member.status == "enrolled":
        if not member.stage:
            missing.append(MISSING_STAGE)
        if not member.school:
            missing.append(MISSING_SCHOOL)
        if not member.grade and member.stage not in STAGES_WITHOUT_GRADE:
            missing.append(MISSING_GRADE)
    elif member.status == "graduated" and not member.destination:
        missing.append(MISSING_DESTINATION)
    return tuple(missing)


def ledger_missing(facts: LedgerFacts, year: int, opens_at: datetime) -> tuple[str, ...]:
    """Why the ledger is not complete for `year`; empty when it is.

    `opens_at` is the season's first instant (see `season_start`); a review before it is
    last season's and does not count.
    """
    missing = [
        f"{reason}:{member.name}"
        for member in facts.members
        for reason in member_missing(member, year)
    ]
    if not (facts.needs or "").strip():
        missing.append(MISSING_NEEDS)
    if facts.reviewed_at is None or facts.reviewed_at < opens_at:
        missing.append(MISSING_REVIEW)
    return tuple(missing)


def split_missing(code: str) -> tuple[str, str | None]:
    """Split "status:张三" into ("status", "张三"); "needs" into ("needs", None)."""
    reason, sep, name = code.partition(":")
    return (reason, name) if sep else (reason, None)


# ---- typed answers -------------------------------------------------------------------


def _typed_text(text: str, limit: int, empty_reason: str) -> str:
    """A typed answer trimmed; blank (`empty_reason`) and oversized answers are refused."""
    cleaned = text.strip()
    if not cleaned:
        raise InputRefused(empty_reason)
    if len(cleaned) > limit:
        raise InputRefused("ledger_text_too_long", length=len(cleaned), limit=limit)
    return cleaned


def clean_needs(text: str) -> str:
    """The household's needs as typed; blank and oversized answers are refused."""
    return _typed_text(text, MAX_NEEDS_LENGTH, "ledger_needs_empty")


_SCHOOL_GRADE_SPLIT = re.compile(r"\s*[,，、;；]\s*|\s+")


def parse_school_grade(text: str) -> tuple[str, str]:
    """Read "栋川小学 四年级" or "栋川小学，四年级" as (school, grade); the grade comes last."""
    cleaned = text.strip()
    if len(cleaned) > MAX_SCHOOL_LENGTH + MAX_GRADE_LENGTH + 1:
        raise InputRefused(
            "ledger_text_too_long",
            length=len(cleaned),
            limit=MAX_SCHOOL_LENGTH + MAX_GRADE_LENGTH + 1,
        )
    parts = [p for p in _SCHOOL_GRADE_SPLIT.split(cleaned) if p]
    if len(parts) < 2:
        raise InputRefused("ledger_school_grade_format")
    grade = parts[-1]
    school = cleaned[: cleaned.rfind(grade)].rstrip(" ,，、;；")
    if len(school) > MAX_SCHOOL_LENGTH or len(grade) > MAX_GRADE_LENGTH:
        raise InputRefused("ledger_school_grade_format")
    return school, grade


def parse_school(text: str) -> str:
    """A kindergarten's (or any school's) name alone, as typed for a stage without grades."""
    return _typed_text(text, MAX_SCHOOL_LENGTH, "ledger_school_grade_format")


def parse_aid(text: str) -> tuple[Decimal, str | None]:
    """Read "1500" or "1500.5 秋季学期" as (amount, note): positive yuan, at most 2 decimals."""
    raw, _, note = text.strip().partition(" ")
    raw = raw.replace(",", "").replace("元", "").replace("¥", "").replace("￥", "")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise InputRefused("ledger_bad_amount", text=raw[:20]) from None
    exponent = amount.as_tuple().exponent
    if (
        not amount.is_finite()
        or amount <= 0
        or amount >= MAX_AID_AMOUNT
        or not isinstance(exponent, int)
        or exponent < -2
    ):
        raise InputRefused("ledger_bad_amount", text=raw[:20])
    note = note.strip()
    if len(note) > MAX_AID_NOTE_LENGTH:
        raise InputRefused("ledger_text_too_long", length=len(note), limit=MAX_AID_NOTE_LENGTH)
    return amount, note or None


def schooling_values(
    status: str,
    *,
    stage: str | None = None,
    school_grade: str | None = None,
    destination: str | None = None,
) -> dict[str, str | None]:
    """The member columns a schooling status sets: enrolled needs a stage and the typed school
    and grade (preschool: the school alone, no grade), graduated a destination; anything else
    from a stale button is refused."""
    if status not in EDITABLE_STATUSES:
        raise InputRefused("stale_button")
    values: dict[str, str | None] = {"status": status}
    if status == "enrolled":
        if stage is None or stage not in STAGES or school_grade is None:
            raise InputRefused("stale_button")
        if stage in STAGES_WITHOUT_GRADE:
            values.update(stage=stage, school=parse_school(school_grade), grade=None)
        else:
            school, grade = parse_school_grade(school_grade)
            values.update(stage=stage, school=school, grade=grade)
    elif status == "graduated":
        if destination is None or destination not in DESTINATIONS:
            raise InputRefused("stale_button")
        values["destination"] = destination
    return values


def check_birth_date(birth: date, today: date) -> None:
    """A birth date is not in the future and not more than 120 years ago."""
    if birth > today or birth.year < today.year - 120:
        raise InputRefused("ledger_bad_birth_date", date=birth.isoformat())
