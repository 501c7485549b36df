"""`cadrebot tenant add|list|supervisor|set-token|encrypt-tokens|new-key`: the counties one
deployment serves.

Each county gets its own bot token, schema (its roster, plan, visits and settings) and
supervisors (storage.tenancy); a region supervisor reads every county of a region. The
other commands then take `--tenant COUNTY`. Tokens are stored encrypted with the keys of
CADREBOT_TOKEN_KEYS (storage.token_vault); without keys `add` and `set-token` refuse unless
told `--plain-token`.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from domain.tenancy import TenantRefused, region_text
from storage.migrate import upgrade_if_behind
from storage.tenancy import (
    County,
    adopt_deployment_rows,
    encrypt_county_tokens,
    list_counties,
    list_region_supervisors,
    open_county_engine,
    register_county,
    register_region_supervisor,
    replace_county_token,
)
from storage.token_vault import KEYS_SETTING, new_key

# Telegram's tokens: the bot's numeric id, a colon, then letters, digits, _ and -.
TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{1,80}")


async def execute(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "new-key":  # no database: a key for CADREBOT_TOKEN_KEYS
        print(new_key())
        return 0
    if settings.database_url.startswith("sqlite"):
        raise TenantRefused("tenant_sqlite")
    engine = await open_county_engine(settings.database_url)
    try:
        if args.action == "add":
            return await _add(args, engine, settings)
        if args.action == "set-token":
            return await _set_token(args, engine, settings)
        if args.action == "encrypt-tokens":
            written, plain = await encrypt_county_tokens(engine, settings.token_key_list)
            print(
                f"{written} county bot tokens encrypted with the first key of {KEYS_SETTING} "
                f"({plain} of them in plain text before)"
            )
            return 0
        if args.action == "supervisor":
            supervisor = await register_region_supervisor(
                engine,
                telegram_id=args.telegram_id,
                name=args.name,
                region=args.region,
                now=datetime.now(UTC),
            )
            print(
                f"{supervisor.name} ({supervisor.telegram_id}) reads "
                f"{region_text(supervisor.region)}"
            )
            return 0
        return await _list(engine)
    finally:
        await engine.dispose()


async def _add(args: argparse.Namespace, engine: AsyncEngine, settings: Settings) -> int:
    token = await _token_from(args.token_file)
    if args.timezone is not None:
        try:
            ZoneInfo(args.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise TenantRefused("tenant_timezone", timezone=args.timezone[:60]) from None
    county = await register_county(
        engine,
        slug=args.slug,
        name=args.name,
        region=args.region,
        bot_token=token,
        keys=settings.token_key_list,
        allow_plain=args.plain_token,
        now=datetime.now(UTC),
        timezone=args.timezone,
        locale=args.locale,
    )
    await upgrade_if_behind(engine, county.schema)
    print(
        f"county {county.slug} ({county.name}, {region_text(county.region)}) added: "
        f"schema {county.schema}, bot id {county.bot_id}, token {_kept(county)}"
    )
    if args.adopt:
        copied = await adopt_deployment_rows(engine, county)
        print(f"moved into {county.schema}: " + counted_rows(copied))
    else:
        print(
            f"next: cadrebot --tenant {county.slug} import ROSTER.xlsx; "
            f"cadrebot --tenant {county.slug} plan load"
        )
    return 0


async def _set_token(args: argparse.Namespace, engine: AsyncEngine, settings: Settings) -> int:
    token = await _token_from(args.token_file)
    county = await replace_county_token(
        engine,
        args.slug,
        token,
        keys=settings.token_key_list,
        allow_plain=args.plain_token,
    )
    print(
        f"county {county.slug} ({county.name}): new bot token stored, bot id {county.bot_id}, "
        f"token {_kept(county)}; restart `cadrebot run` and `cadrebot scheduler` to use it"
    )
    return 0


def _kept(county: County) -> str:
    return (
        "encrypted"
        if county.token_encrypted
        else f"in plain text (no {KEYS_SETTING}: see cadrebot tenant new-key)"
    )


async def _token_from(path: Path) -> str:
    """The token in `path` (a file keeps it out of the shell's history), checked."""
    token = (await asyncio.to_thread(_read_token, path)).strip()
    if not TOKEN.fullmatch(token):
        raise TenantRefused("tenant_token")
    return token


def _read_token(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise TenantRefused("tenant_token_file", path=str(path)) from None


async def _list(engine: AsyncEngine) -> int:
    counties = await list_counties(engine)
    supervisors = await list_region_supervisors(engine)
    if not counties:
        print("no counties: this deployment serves one county (BOT_TOKEN); `tenant add` adds one")
    for county in counties:
        extras = [f"time zone {county.timezone}"] if county.timezone else []
        extras += [f"language {county.locale}"] if county.locale else []
        extras += [] if county.token_encrypted else ["token in plain text"]
        tail = f" ({', '.join(extras)})" if extras else ""
        print(
            f"{county.slug}\t{county.name}\t{region_text(county.region)}\tbot {county.bot_id}{tail}"
        )
    for supervisor in supervisors:
        print(
            f"region supervisor {supervisor.telegram_id}\t{supervisor.name}\t"
            f"reads {region_text(supervisor.region)}"
        )
    return 0


def counted_rows(copied: dict[str, int]) -> str:
    moved = [f"{rows} {table}" for table, rows in copied.items() if rows]
    return ", ".join(moved) or "nothing (the deployment held no rows)"
