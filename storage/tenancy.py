"""Many counties in one PostgreSQL database, none able to read or write another's rows.

Each county (tenant) has its own schema, `county_<slug>`, holding every table of the bot
(storage.models) with its own migrations; the registry of counties and of the region
supervisors who read across them lives in `cadrebot_tenancy` (migration 0007).

The one place the boundary is enforced is the county's session factory
(`county_sessionmaker`): its engine carries `schema_translate_map={None: "county_<slug>"}`,
so every statement, ORM or Core, names that county's tables and no other. An engine of a
county deployment connects with the search path set to the registry schema alone
(`make_county_engine`), so a statement that did not go through a county's factory finds no
table of the bot at all and fails, instead of reading the deployment's own schema.

Each county's bot token is stored encrypted when the deployment has keys
(storage.token_vault, CADREBOT_TOKEN_KEYS; migration 0009): a function that reads counties is
given the keys when its caller needs the tokens, and without them reads no token at all.

SQLite stays a one-county deployment: it has no schemas.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.tenancy import (
    TenantRefused,
    check_county_name,
    check_slug,
    parse_region,
    region_covers,
    region_text,
    tenant_schema,
)
from storage.db import log_statement_durations, make_engine, make_sessionmaker
from storage.migrate import upgrade_if_behind
from storage.models import Base
from storage.token_vault import TokenVault, bot_id_of, is_sealed

TENANCY_SCHEMA = "cadrebot_tenancy"
registry = MetaData(schema=TENANCY_SCHEMA)
tenants = Table(
    "tenants",
    registry,
    Column("slug", String(30), primary_key=True),
    Column("name", String(60), nullable=False),
    Column("region", String(200), nullable=False),
    # Encrypted (a Fernet token, ~140 characters) or, before keys, plain text (migration
    # 0009); one county per bot is bot_id's to keep, as ciphertexts differ each time.
    Column("bot_id", BigInteger, nullable=False, unique=True),
    Column("bot_token", Text, nullable=False),
    Column("timezone", String(64)),
    Column("locale", String(8)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
region_supervisors = Table(
    "region_supervisors",
    registry,
    Column("telegram_id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(60), nullable=False),
    Column("region", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class County:
    """One tenant: its bot, its schema and the settings it overrides (None: the deployment's).

    `bot_token` is the token decrypted, or None when it was not asked for (read without
    keys: `list_counties(engine)`); `token_encrypted` says how the registry stores it."""

    slug: str
    name: str
    region: tuple[str, ...]
    bot_id: int
    bot_token: str | None = field(default=None, repr=False)
    timezone: str | None = None
    locale: str | None = None
    token_encrypted: bool = False

    @property
    def schema(self) -> str:
        return tenant_schema(self.slug)


@dataclass(frozen=True)
class RegionSupervisor:
    telegram_id: int
    name: str
    region: tuple[str, ...]

    def reads(self, county: County) -> bool:
        return region_covers(self.region, county.region)


def supports_counties(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


def make_county_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    """The deployment's engine: its connections see the registry only (see module doc)."""
    connect_args = dict(kwargs.pop("connect_args", {}))
    server_settings = dict(connect_args.get("server_settings", {}))
    server_settings["search_path"] = TENANCY_SCHEMA
    connect_args["server_settings"] = server_settings
    return make_engine(database_url, connect_args=connect_args, **kwargs)


def county_sessionmaker(engine: AsyncEngine, county: County) -> async_sessionmaker[AsyncSession]:
    """Sessions whose every statement is on `county`'s tables (the boundary, in one place)."""
    county_engine = engine.execution_options(schema_translate_map={None: county.schema})
    return async_sessionmaker(county_engine, expire_on_commit=False)


async def has_registry(engine: AsyncEngine) -> bool:
    if not supports_counties(engine):
        return False
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: inspect(sync).has_table("tenants", schema=TENANCY_SCHEMA)
        )


async def count_counties(engine: AsyncEngine) -> int:
    """How many counties the registry holds; 0 on SQLite or before migration 0007."""
    if not await has_registry(engine):
        return 0
    async with engine.connect() as connection:
        count = await connection.scalar(select(func.count()).select_from(tenants))
        return int(count or 0)


def _county(row: Any, vault: TokenVault | None) -> County:
    """The registry's row; its token decrypted by `vault` (refused naming the county when
    no key opens it), or not read at all when `vault` is None."""
    token = None if vault is None else vault.open(row.bot_token, row.slug)
    return County(
        slug=row.slug,
        name=row.name,
        region=parse_region(row.region),
        bot_id=row.bot_id,
        bot_token=token,
        timezone=row.timezone,
        locale=row.locale,
        token_encrypted=is_sealed(row.bot_token),
    )


async def list_counties(engine: AsyncEngine, keys: Sequence[str] | None = None) -> list[County]:
    """Every county; with `keys` (CADREBOT_TOKEN_KEYS, maybe none) each one's bot token,
    refused at the first county whose token no key opens."""
    if not await has_registry(engine):
        return []
    async with engine.connect() as connection:
        rows = await connection.execute(select(tenants).order_by(tenants.c.slug))
        vault = None if keys is None else TokenVault(keys)  # its ciphers made once
        return [_county(row, vault) for row in rows]


async def find_county(engine: AsyncEngine, slug: str, keys: Sequence[str] | None = None) -> County:
    """The county named `slug`, or refused: a typo never lands in another schema. With
    `keys`, its bot token too (list_counties)."""
    check_slug(slug)
    if not supports_counties(engine):
        raise TenantRefused("tenant_sqlite")
    async with engine.connect() as connection:
        row = (await connection.execute(select(tenants).where(tenants.c.slug == slug))).first()
    if row is None:
        raise TenantRefused("tenant_unknown", slug=slug)
    return _county(row, None if keys is None else TokenVault(keys))


def _stored_token(token: str, keys: Sequence[str], allow_plain: bool) -> str:
    """What the registry keeps: `token` encrypted with the first key; plain text only when
    there is no key and the caller said so (`--plain-token`)."""
    vault = TokenVault(keys)
    if vault.has_keys:
        return vault.seal(token)
    if not allow_plain:
        raise TenantRefused("tenant_token_keys")
    return token


async def register_county(
    engine: AsyncEngine,
    *,
    slug: str,
    name: str,
    region: str,
    bot_token: str,
    keys: Sequence[str],
    now: datetime,
    allow_plain: bool = False,
    timezone: str | None = None,
    locale: str | None = None,
) -> County:
    """Record a new county, its token encrypted with the first of `keys` (without keys:
    refused, unless `allow_plain`); its schema is made by the caller (storage.migrate)."""
    if not supports_counties(engine):
        raise TenantRefused("tenant_sqlite")
    stored = _stored_token(bot_token, keys, allow_plain)
    county = County(
        slug=check_slug(slug),
        name=check_county_name(name),
        region=parse_region(region),
        bot_id=bot_id_of(bot_token),
        bot_token=bot_token,
        timezone=timezone,
        locale=locale,
        token_encrypted=is_sealed(stored),
    )
    values = {
        "slug": county.slug,
        "name": county.name,
        "region": region_text(county.region),
        "bot_id": county.bot_id,
        "bot_token": stored,
        "timezone": timezone,
        "locale": locale,
        "created_at": now,
    }
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(tenants).values(**values))
    except IntegrityError:
        raise TenantRefused("tenant_taken", slug=slug) from None
    return county


async def replace_county_token(
    engine: AsyncEngine,
    slug: str,
    bot_token: str,
    *,
    keys: Sequence[str],
    allow_plain: bool = False,
) -> County:
    """Give county `slug` a new bot token (revoked, rotated, or another bot), encrypted as
    register_county does; refused naming the county that already has the token's bot."""
    check_slug(slug)
    if not supports_counties(engine):
        raise TenantRefused("tenant_sqlite")
    stored = _stored_token(bot_token, keys, allow_plain)
    bot_id = bot_id_of(bot_token)
    try:
        async with engine.begin() as connection:
            row = (
                await connection.execute(
                    select(tenants).where(tenants.c.slug == slug).with_for_update()
                )
            ).first()
            if row is None:
                raise TenantRefused("tenant_unknown", slug=slug)
            other = await connection.scalar(
                select(tenants.c.slug).where(tenants.c.bot_id == bot_id, tenants.c.slug != slug)
            )
            if other is not None:
                raise TenantRefused("tenant_bot_taken", bot_id=bot_id, slug=other)
            await connection.execute(
                update(tenants)
                .where(tenants.c.slug == slug)
                .values(bot_id=bot_id, bot_token=stored)
            )
    except IntegrityError:  # another county took the bot in between
        async with engine.connect() as connection:
            other = await connection.scalar(
                select(tenants.c.slug).where(tenants.c.bot_id == bot_id)
            )
        raise TenantRefused("tenant_bot_taken", bot_id=bot_id, slug=other or "?") from None
    return replace(
        _county(row, None), bot_id=bot_id, bot_token=bot_token, token_encrypted=is_sealed(stored)
    )


async def encrypt_county_tokens(engine: AsyncEngine, keys: Sequence[str]) -> tuple[int, int]:
    """Every county's token encrypted with the first of `keys`, in one transaction: plain
    text encrypted, an encrypted one decrypted (by any key) and encrypted again. Nothing is
    changed if one cannot be opened. (tokens written, of which were plain text)."""
    vault = TokenVault(keys)
    if not vault.has_keys:
        raise TenantRefused("tenant_token_keys")
    if not await has_registry(engine):
        return 0, 0
    written = plain = 0
    async with engine.begin() as connection:
        rows = (
            await connection.execute(
                select(tenants.c.slug, tenants.c.bot_token)
                .order_by(tenants.c.slug)
                .with_for_update()
            )
        ).all()
        for slug, stored in rows:
            plain += not is_sealed(stored)
            await connection.execute(
                update(tenants)
                .where(tenants.c.slug == slug)
                .values(bot_token=vault.reseal(stored, slug))
            )
            written += 1
    return written, plain


@dataclass(frozen=True)
class TokenCensus:
    """How the registry keeps the counties' tokens, for `cadrebot doctor` (slugs only)."""

    counties: int = 0
    plain: tuple[str, ...] = ()  # stored in plain text
    locked: tuple[str, ...] = ()  # encrypted, and no key of the setting opens them
    old_key: tuple[str, ...] = ()  # opened by a key other than the first (rotation unfinished)
    keys_set: bool = False


async def census_tokens(engine: AsyncEngine, keys: Sequence[str]) -> TokenCensus:
    if not await has_registry(engine):
        return TokenCensus()
    vault = TokenVault(keys)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(tenants.c.slug, tenants.c.bot_token).order_by(tenants.c.slug)
            )
        ).all()
    plain, locked, old_key = [], [], []
    for slug, stored in rows:
        if not is_sealed(stored):
            plain.append(slug)
            continue
        try:
            vault.open(stored, slug)
        except TenantRefused:
            locked.append(slug)
            continue
        if not vault.opens_with_first_key(stored):
            old_key.append(slug)
    return TokenCensus(len(rows), tuple(plain), tuple(locked), tuple(old_key), vault.has_keys)


async def register_region_supervisor(
    engine: AsyncEngine, *, telegram_id: int, name: str, region: str, now: datetime
) -> RegionSupervisor:
    """Add (or move) a supervisor who reads every county of `region`."""
    if not supports_counties(engine):
        raise TenantRefused("tenant_sqlite")
    supervisor = RegionSupervisor(telegram_id, check_county_name(name), parse_region(region))
    values = {"name": supervisor.name, "region": region_text(supervisor.region)}
    async with engine.begin() as connection:
        updated = await connection.execute(
            region_supervisors.update()
            .where(region_supervisors.c.telegram_id == telegram_id)
            .values(**values)
        )
        if not updated.rowcount:
            await connection.execute(
                insert(region_supervisors).values(telegram_id=telegram_id, created_at=now, **values)
            )
    return supervisor


async def find_region_supervisor(engine: AsyncEngine, telegram_id: int) -> RegionSupervisor | None:
    if not supports_counties(engine):
        return None
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                select(region_supervisors).where(region_supervisors.c.telegram_id == telegram_id)
            )
        ).first()
    if row is None:
        return None
    return RegionSupervisor(row.telegram_id, row.name, parse_region(row.region))


async def list_region_supervisors(engine: AsyncEngine) -> list[RegionSupervisor]:
    if not await has_registry(engine):
        return []
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(region_supervisors).order_by(region_supervisors.c.region)
        )
        return [RegionSupervisor(r.telegram_id, r.name, parse_region(r.region)) for r in rows]


async def open_county_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    """The deployment's schema brought to head (by a plain engine: migration 0007 makes the
    registry), then the engine that sees the registry only."""
    plain = make_engine(database_url)
    try:
        await upgrade_if_behind(plain)
    finally:
        await plain.dispose()
    return make_county_engine(database_url, **kwargs)


@asynccontextmanager
async def open_county_database(
    database_url: str,
    slug: str | None,
    *,
    time_statements: bool = False,
    upgrade: bool = True,
    engine_options: Mapping[str, Any] | None = None,
    keys: Sequence[str] | None = None,
) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], County | None]]:
    """What a command works on: one county's tables (`slug`), or the deployment's own when
    it serves no counties. A deployment of counties refuses a command without one, so a
    forgotten --tenant never writes rows that no county's bot reads. `upgrade` False: the
    schemas as found (`cadrebot doctor`). `engine_options`: make_engine's (a pool's size).
    `keys`: the county's bot token is decrypted with them (None: not read)."""
    engine_options = engine_options or {}
    if slug is None:
        engine = make_engine(database_url, **engine_options)
        try:
            if time_statements:
                log_statement_durations(engine)
            if upgrade:
                await upgrade_if_behind(engine)
            if await count_counties(engine):
                raise TenantRefused("tenant_required")
            yield make_sessionmaker(engine), None
        finally:
            await engine.dispose()
        return
    check_slug(slug)
    if database_url.startswith("sqlite"):
        raise TenantRefused("tenant_sqlite")
    engine = (
        await open_county_engine(database_url, **engine_options)
        if upgrade
        else make_county_engine(database_url, **engine_options)
    )
    try:
        if time_statements:
            log_statement_durations(engine)
        county = await find_county(engine, slug, keys)
        if upgrade:
            await upgrade_if_behind(engine, county.schema)
        yield county_sessionmaker(engine, county), county
    finally:
        await engine.dispose()


async def adopt_deployment_rows(engine: AsyncEngine, county: County) -> dict[str, int]:
    """Copy every row of the deployment's own schema (`public`: a deployment that served one
    county before it had counties) into `county`'s schema, at head and empty, then empty
    `public`, in one transaction. The tables stay in `public`, empty, so that its
    migrations still apply; each serial id goes on from the copied rows' highest."""
    copied: dict[str, int] = {}
    schema = county.schema
    async with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            target = f'"{schema}"."{table.name}"'
            if await connection.scalar(text(f"SELECT EXISTS (SELECT 1 FROM {target})")):
                raise TenantRefused("tenant_adopt_not_empty", slug=county.slug)
            columns = ", ".join(f'"{column.name}"' for column in table.columns)
            result = await connection.execute(
                text(
                    f'INSERT INTO {target} ({columns}) SELECT {columns} FROM public."{table.name}"'
                )
            )
            copied[table.name] = result.rowcount
            serials = [c for c in table.primary_key.columns if isinstance(c.type, Integer)]
            for column in serials:  # not a serial: pg_get_serial_sequence is NULL, no-op
                await connection.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence(:table, :column), "
                        f'COALESCE(MAX("{column.name}"), 0) + 1, false) FROM {target}'
                    ),
                    {"table": target, "column": column.name},
                )
        names = ", ".join(f'public."{table.name}"' for table in Base.metadata.sorted_tables)
        await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
    return copied
