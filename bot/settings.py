"""One frozen, typed settings object, read from the environment or a `.env` file."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.ledgers import parse_month_day
from domain.plan_rules import PlanRules
from domain.reminders import QuietHours
from domain.retention import UPDATE_LOG_MIN_DAYS, Retention
from storage.token_vault import is_fernet_key

DEFAULT_DATA_DIR = Path("data")
SUPPORTED_LOCALES = ("zh", "en")
# The sandbox (bot.sandbox): its fake bot's name, for links when there is no BOT_TOKEN, and
# its own database, whatever DATABASE_URL says (the CLI uses DATABASE_URL).
SANDBOX_BOT_USERNAME = "cadrebot_sandbox_bot"
SANDBOX_DATABASE_FILE = DEFAULT_DATA_DIR / "sandbox.sqlite3"
# The sandbox's copies of visit photos when CADREBOT_EVIDENCE_DIR is set: never that folder.
SANDBOX_EVIDENCE_DIR = DEFAULT_DATA_DIR / "sandbox-evidence"
# Telegram's rule for setWebhook's secret_token.
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    """Everything the bot needs to start; bad values fail at start with the field named."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", frozen=True, extra="ignore"
    )

    bot_token: SecretStr | None = Field(default=None, alias="BOT_TOKEN")
    telegram_api_url: str = Field(default="https://api.telegram.org", alias="TELEGRAM_API_URL")
    database_url: str = Field(
        default=f"sqlite+aiosqlite:///{DEFAULT_DATA_DIR}/cadrebot.sqlite3", alias="DATABASE_URL"
    )
    timezone: str = Field(default="Asia/Shanghai", alias="CADREBOT_TIMEZONE")
    locale: str = Field(default="zh", alias="CADREBOT_LOCALE")
    backdate_days: int = Field(default=30, ge=0, le=366, alias="CADREBOT_BACKDATE_DAYS")
    invite_days: int = Field(default=7, ge=1, le=90, alias="CADREBOT_INVITE_DAYS")
    far_meters: float = Field(default=1500.0, gt=0, alias="CADREBOT_FAR_METERS")
    evidence_dir: Path | None = Field(default=None, alias="CADREBOT_EVIDENCE_DIR")
    # Photo copies of visits dated more than this many days ago are purged (`cadrebot purge`);
    # 0 or "off": kept for good. Two years: the visit's year and the next, when it is assessed.
    evidence_retention_days: int = Field(
        default=730, ge=0, le=36500, alias="CADREBOT_EVIDENCE_RETENTION_DAYS"
    )
    # Webhook update records (processed_updates) older than this are purged; never less than
    # Telegram's redelivery window (a day) allows.
    update_log_retention_days: int = Field(
        default=7, ge=UPDATE_LOG_MIN_DAYS, le=3650, alias="CADREBOT_UPDATE_LOG_RETENTION_DAYS"
    )
    # Connections each process keeps to PostgreSQL (every county of a deployment shares
    # them); unset: 10. SQLite keeps its one connection whatever this says.
    db_pool_size: int | None = Field(default=None, ge=1, le=1000, alias="CADREBOT_DB_POOL_SIZE")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    sandbox_port: int = Field(default=8081, ge=1, le=65535, alias="CADREBOT_SANDBOX_PORT")
    # The ledger season opens on this day (MM-DD) each year, in the plan's time zone.
    ledger_season_opens: str = Field(default="09-01", alias="CADREBOT_LEDGER_SEASON_OPENS")
    # Reminders: fired inside the bot process ("inline") or by `cadrebot scheduler` ("off").
    scheduler: Literal["inline", "off"] = Field(default="inline", alias="CADREBOT_SCHEDULER")
    reminder_rate: float = Field(default=25.0, gt=0, le=1000, alias="CADREBOT_REMINDER_RATE")
    # "HH:MM-HH:MM" local time when reminders are held until the end, or "off".
    quiet_hours: str = Field(default="21:00-08:00", alias="CADREBOT_QUIET_HOURS")
    # The scheduler lease's time to live (renewed every third of it): a standby or restarted
    # process takes over within lease + lease/3 seconds of the holder's crash.
    lease_seconds: int = Field(default=30, ge=3, le=600, alias="CADREBOT_LEASE_SECONDS")
    # Where CLI commands write their files unless --output/--output-dir says otherwise.
    reports_dir: Path = Field(default=Path("reports"), alias="CADREBOT_REPORTS_DIR")
    # A TrueType CJK font (.ttf/.ttc) embedded in the door-code PDF; unset: a known system one.
    pdf_font: Path | None = Field(default=None, alias="CADREBOT_PDF_FONT")
    # How updates arrive: long polling (one process) or Telegram's webhook (N replicas behind
    # a load balancer; see bot.webhook). The webhook settings below matter only in webhook mode.
    mode: Literal["polling", "webhook"] = Field(default="polling", alias="CADREBOT_MODE")
    # The public base URL Telegram posts to (https://bot.example.org); the path is added.
    webhook_url: str | None = Field(
        default=None, alias="CADREBOT_WEBHOOK_URL", validate_default=True
    )
    # Telegram sends it in X-Telegram-Bot-Api-Secret-Token; a request without it gets 403.
    webhook_secret: SecretStr | None = Field(
        default=None, alias="CADREBOT_WEBHOOK_SECRET", validate_default=True
    )
    webhook_host: str = Field(default="0.0.0.0", alias="CADREBOT_WEBHOOK_HOST")  # noqa: S104
    webhook_port: int = Field(default=8080, ge=1, le=65535, alias="CADREBOT_WEBHOOK_PORT")
    webhook_max_connections: int = Field(
        default=40, ge=1, le=100, alias="CADREBOT_WEBHOOK_MAX_CONNECTIONS"
    )
    # The monitoring server (/metrics, /healthz, /readyz) of `run` and `scheduler`; unset: off.
    metrics_port: int | None = Field(default=None, ge=1, le=65535, alias="CADREBOT_METRICS_PORT")
    metrics_host: str = Field(default="0.0.0.0", alias="CADREBOT_METRICS_HOST")  # noqa: S104
    # "text" lines, or one JSON object a line for a log collector (bot.logs).
    log_format: Literal["text", "json"] = Field(default="text", alias="CADREBOT_LOG_FORMAT")
    # Fernet keys, comma-separated, the counties' bot tokens are encrypted with in the registry
    # (storage.token_vault): the first encrypts, every one decrypts; `cadrebot tenant new-key`.
    token_keys: SecretStr | None = Field(default=None, alias="CADREBOT_TOKEN_KEYS")

    def engine_options(self) -> dict[str, int]:
        """What the process's engine is made with (storage.db.make_engine's keywords)."""
        if self.db_pool_size is None or self.database_url.startswith("sqlite"):
            return {}
        return {"pool_size": self.db_pool_size}

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}, e.g. Asia/Shanghai") from None
        return value

    @field_validator("ledger_season_opens")
    @classmethod
    def _month_day(cls, value: str) -> str:
        month, day = parse_month_day(value)
        return f"{month:02d}-{day:02d}"

    @field_validator("evidence_retention_days", mode="before")
    @classmethod
    def _retention_off(cls, value: object) -> object:
        """ "off" (any case) keeps evidence for good, as 0 does."""
        if isinstance(value, str) and value.strip().lower() in ("off", "none", "keep"):
            return 0
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        parse_quiet_hours(value)
        return value.strip()

    @field_validator("locale")
    @classmethod
    def _supported_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"locale must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (http:// only for a local test)")
        if value is None and info.data.get("mode") == "webhook":
            raise ValueError("is required when CADREBOT_MODE=webhook")
        return value.rstrip("/") if value is not None else None

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None:
            if info.data.get("mode") == "webhook":
                raise ValueError("is required when CADREBOT_MODE=webhook")
            return None
        if not WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("use 1-256 characters A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @field_validator("metrics_port")
    @classmethod
    def _metrics_port(cls, value: int | None, info: ValidationInfo) -> int | None:
        webhook = info.data.get("mode") == "webhook"
        if value is not None and webhook and value == info.data.get("webhook_port"):
            raise ValueError("must differ from CADREBOT_WEBHOOK_PORT")
        return value

    @field_validator("token_keys")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        """Each key a Fernet key; the error says which one (its place), never the key."""
        if value is None:
            return None
        keys = split_keys(value.get_secret_value())
        if not keys:
            return None
        for place, key in enumerate(keys, start=1):
            if not is_fernet_key(key):
                raise ValueError(
                    f"key {place} of {len(keys)} is not a Fernet key (44 characters of url-safe "
                    "base64); `cadrebot tenant new-key` makes one"
                )
        return SecretStr(",".join(keys))

    @property
    def token_key_list(self) -> tuple[str, ...]:
        """CADREBOT_TOKEN_KEYS, the first (encrypting) key first; empty when unset."""
        return split_keys(self.token_keys.get_secret_value()) if self.token_keys else ()

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """Accept plain postgresql:// and sqlite:// URLs and pick the async driver."""
        return async_database_url(value)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def quiet(self) -> QuietHours | None:
        return parse_quiet_hours(self.quiet_hours)

    def plan_rules(self) -> PlanRules:
        """The plan's rules as one frozen object, built once in the root and passed down."""
        return PlanRules(
            tz=self.tz,
            backdate_days=self.backdate_days,
            far_beyond_m=self.far_meters,
            ledger_season_opens=self.ledger_season_opens_month_day,
            evidence_dir=self.evidence_dir,
        )

    @property
    def retention(self) -> Retention:
        """What is kept how long (domain.retention); 0 days of evidence: kept for good."""
        return Retention(
            evidence_days=self.evidence_retention_days or None,
            update_log_days=self.update_log_retention_days,
        )

    @property
    def ledger_season_opens_month_day(self) -> tuple[int, int]:
        """(month, day) of the ledger season's opening, already validated."""
        return parse_month_day(self.ledger_season_opens)


def async_database_url(value: str) -> str:
    """A postgresql:// or sqlite:/// URL with the async driver the bot uses (also for
    `cadrebot db copy`'s URLs); anything else refused."""
    if value.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + value.split("://", 1)[1]
    if value.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + value.split(":///", 1)[1]
    if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        raise ValueError("use a postgresql:// or sqlite:/// URL")
    return value


def split_keys(value: str) -> tuple[str, ...]:
    """ "k1, k2" -> ("k1", "k2"): spaces and empty places (a trailing comma) left out."""
    return tuple(key.strip() for key in value.split(",") if key.strip())


def parse_quiet_hours(value: str) -> QuietHours | None:
    """ "21:00-08:00" -> QuietHours; "off" -> None."""
    text = value.strip().lower()
    if text in ("off", "none", ""):
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ValueError("write quiet hours as HH:MM-HH:MM, e.g. 21:00-08:00, or off") from None
    return QuietHours(start, end)


def load_settings(**overrides: object) -> Settings:
    """Read settings once, in main; overrides are for tests and the CLI."""
    return Settings(**overrides)  # type: ignore[arg-type]
