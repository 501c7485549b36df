"""The schema: roster, pairings, visits, invites and the plan's milestones."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC instant on every backend (SQLite keeps no zone, so it is added back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC instants")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Township(Base):
    __tablename__ = "townships"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))


class Village(Base):
    __tablename__ = "villages"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), index=True)
    poor: Mapped[bool] = mapped_column(Boolean, default=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    township: Mapped[Township] = relationship()


class Unit(Base):
    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)


class Cadre(Base):
    __tablename__ = "cadres"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="cadre")
    phone: Mapped[str | None] = mapped_column(String(32))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Set when Telegram answered 403 (the person blocked the bot); cleared when they write again.
    unreachable_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    unit: Mapped[Unit] = relationship()


class Household(Base):
    __tablename__ = "households"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    head_name: Mapped[str] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str | None] = mapped_column(String(32))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    village: Mapped[Village] = relationship()


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("household_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    sex: Mapped[str | None] = mapped_column(String(8))
    birth_date: Mapped[date | None] = mapped_column(Date)
    stage: Mapped[str | None] = mapped_column(String(32))
    school: Mapped[str | None] = mapped_column(String(100))
    grade: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str | None] = mapped_column(String(32))
    # Where a graduate went: senior | vocational | work | other (两后生 tracking).
    destination: Mapped[str | None] = mapped_column(String(32))


class Pairing(Base):
    """A cadre holds a household from `since` until `until` (open while NULL).

    At most one open pairing per household: the partial unique index enforces it.
    """

    __tablename__ = "pairings"
    __table_args__ = (
        Index(
            "uq_pairings_open_household",
            "household_id",
            unique=True,
            sqlite_where=text("until IS NULL"),
            postgresql_where=text("until IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    since: Mapped[datetime] = mapped_column(UtcDateTime())
    until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class UnitVillage(Base):
    """A pairing unit and the poor village it must visit every month."""

    __tablename__ = "unit_villages"
    __table_args__ = (UniqueConstraint("unit_id", "village_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)


class Invite(Base):
    """A one-time registration code; only its hash is kept."""

    __tablename__ = "invites"
    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    used_by: Mapped[int | None] = mapped_column(BigInteger)


class InviteAttempt(Base):
    """A wrong invite code typed by a Telegram account, for throttling guessers."""

    __tablename__ = "invite_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class FieldVisit:
    """What both kinds of visit keep: who reported which local date, when (kept apart),
    and where from."""

    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    visit_date: Mapped[date] = mapped_column(Date)
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    # Distance from the place's recorded position; far ones are flagged, never refused.
    distance_m: Mapped[float | None] = mapped_column(Float)
    far_from_place: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class HouseholdVisit(FieldVisit, Base):
    """One visit to one household on one local date."""

    __tablename__ = "household_visits"
    __table_args__ = (
        UniqueConstraint("household_id", "visit_date", name="uq_household_visits_day"),
        Index("ix_household_visits_date", "visit_date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    note: Mapped[str | None] = mapped_column(Text)


class VillageVisit(FieldVisit, Base):
    """A pairing unit's visit to its poor village on one local date (one per unit and day)."""

    __tablename__ = "village_visits"
    __table_args__ = (
        UniqueConstraint("unit_id", "village_id", "visit_date", name="uq_village_visits_day"),
        Index("ix_village_visits_date", "visit_date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    participants: Mapped[str | None] = mapped_column(Text)
    discussed: Mapped[str | None] = mapped_column(Text)


class VisitPhoto(Base):
    """A photo attached to a visit: Telegram's file_id, and a saved copy when enabled."""

    __tablename__ = "visit_photos"
    __table_args__ = (
        UniqueConstraint("household_visit_id", "file_unique_id"),
        UniqueConstraint("village_visit_id", "file_unique_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    household_visit_id: Mapped[int | None] = mapped_column(
        ForeignKey("household_visits.id"), index=True
    )
    village_visit_id: Mapped[int | None] = mapped_column(
        ForeignKey("village_visits.id"), index=True
    )
    file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str] = mapped_column(String(64))
    saved_path: Mapped[str | None] = mapped_column(String(500))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LedgerReview(Base):
    """A household's ledger for one year: its needs and when its cadre confirmed it."""

    __tablename__ = "ledger_reviews"
    __table_args__ = (UniqueConstraint("household_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    year: Mapped[int] = mapped_column(Integer)
    needs: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"))


class AidRecord(Base):
    """Aid a household (or one member) received in a year: kind, amount, note."""

    __tablename__ = "aid_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(64))
    amount: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[int] = mapped_column(ForeignKey("cadres.id"))


class LedgerChange(Base):
    """History of every ledger edit: who changed which field from what to what, and when."""

    __tablename__ = "ledger_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    changed_by: Mapped[int] = mapped_column(ForeignKey("cadres.id"))


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("plan_year", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    leader: Mapped[str] = mapped_column(String(50))


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("campaign_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title_zh: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    # Unit selectors: a unit code, or "kind:<unit kind>", or "all" (see domain.plan).
    responsible: Mapped[str] = mapped_column(Text)
    cooperating: Mapped[str] = mapped_column(Text, default="")


class Milestone(Base):
    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("task_id", "due_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    title_zh: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class MilestoneReport(Base):
    """A unit's monthly progress on a milestone; the month's last report wins, months stay."""

    __tablename__ = "milestone_reports"
    __table_args__ = (UniqueConstraint("milestone_id", "unit_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    text: Mapped[str] = mapped_column(Text)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    reported_by: Mapped[int] = mapped_column(ForeignKey("cadres.id"))
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime())


# --- Dropout cases (issue 4): models of migration 0003 go below this line. ---


class DropoutCase(Base):
    """A child reported out of school; at most one open case per child (partial index).

    States: reported -> acknowledged -> confirmed -> closed (see domain.dropouts).
    """

    __tablename__ = "dropout_cases"
    __table_args__ = (
        Index(
            "uq_dropout_cases_open_member",
            "member_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
        Index("ix_dropout_cases_state", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    # The central school of the child's township when reported (None if the township has none).
    school_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    since: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20))
    closing: Mapped[str | None] = mapped_column(String(20))
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DropoutEvent(Base):
    """One step of a case (report, acknowledge, persuasion attempt ...): the full history.

    `source` names the Telegram message or button press behind it: a redelivered update adds
    nothing.
    """

    __tablename__ = "dropout_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dropout_cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The local day the step happened (a persuasion visit, since when out of school).
    on_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(64), unique=True)


# --- Reminders and outbox (issue 5): models of migration 0004 go below this line. ---


class ReminderRule(Base):
    """One reminder rule of the plan: one scheduler job each; the plan file fills the table."""

    __tablename__ = "reminder_rules"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    # JSON: the rule's calendar (days of month, days before quarter end, dates ...).
    spec: Mapped[str] = mapped_column(Text)
    hour: Mapped[int] = mapped_column(Integer, default=9)
    minute: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The last local day whose occurrences were computed: a late run catches up from here.
    evaluated_through: Mapped[date | None] = mapped_column(Date)


class OutboxMessage(Base):
    """A reminder to deliver; the unique key makes each (person, rule, period, occurrence) once.

    States: pending -> sending -> sent | dropped (reason gone) | unreachable (blocked the bot)
    | failed (gave up after retries).
    """

    __tablename__ = "reminder_outbox"
    __table_args__ = (
        UniqueConstraint("cadre_id", "rule", "period", "occurrence", name="uq_reminder_once"),
        Index("ix_reminder_outbox_due", "state", "not_before"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    rule: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(40))
    occurrence: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    # JSON rows of [label, callback_data] pairs.
    buttons: Mapped[str] = mapped_column(Text, default="[]")
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


class SchedulerLease(Base):
    """Who may fire reminder jobs now: one holder until `expires_at`, renewed while alive."""

    __tablename__ = "scheduler_lease"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PlanSetting(Base):
    """A plan-wide setting from the plan file (e.g. the dropout-case due days), as JSON."""

    __tablename__ = "plan_settings"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ProcessedUpdate(Base):
    """A Telegram update a webhook replica took: claimed, then done or failed, never twice.

    outcome: claimed (being handled; a claim older than the claim timeout may be taken over)
    | done (handled and committed) | failed (gave up after retries, the person was told).
    """

    __tablename__ = "processed_updates"
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(String(12), default="claimed")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ExportAudit(Base):
    """One export of roster, household or child data (domain.audit.Export): who, what,
    scope, when, how many rows. Insert only: migration 0008's triggers refuse UPDATE and
    DELETE, and no repository changes a row."""

    __tablename__ = "export_audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    exported_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    channel: Mapped[str] = mapped_column(String(8))  # cli | chat
    # A cadre's code (chat) or the machine's user (cli); the account, in chat.
    actor: Mapped[str] = mapped_column(String(100))
    actor_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    what: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(200))
    period: Mapped[str | None] = mapped_column(String(40))
    format: Mapped[str] = mapped_column(String(20))
    rows: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str | None] = mapped_column(Text)
