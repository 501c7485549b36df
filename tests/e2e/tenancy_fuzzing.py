"""Fuzzing the boundary between counties: the same people, codes and ids in two counties
(tests/e2e/counties.py), and updates to one county's bot that try to read or write the
other's rows. Shared by tests/e2e/test_tenancy_fuzz.py; the drawing and the per-bot checks
are tests/e2e/fuzzing.py's.

The world: counties jia and yi seeded with the same roster codes, other names. Three
Telegram accounts are registered in both (as C1, C3 and S1), two in one county only (jia's
C2 and H1; yi's C2 and H1), a stranger in neither. Each county has children, visits, a
paired village and dropout cases; yi has two households jia lacks (H009, H010: ids 9 and
10), jia one yi lacks (H011, id 9 there), so a forged id names a row of both counties, of
the other county only, or of none.

What a cross-county finding is:
- the other county's schema changed while only this county's bot was driven (a digest of
  every table of storage.models, `schema_digest`), or the registry changed at all;
- a name that exists only in the other county (its heads, cadres, children, its name)
  reached anyone through this bot, unless someone typed it to this bot;
- this bot called the Bot API about a chat that never wrote to it (an account of the other
  county only: what a notification to the other county's cadres would do).
"""

from __future__ import annotations

import asyncio
import contextlib
import unicodedata
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.types import ErrorEvent
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.county_app import run_counties_polling
from fakeapi.methods import NOT_MODIFIED
from fakeapi.server import FakeBotAPI
from fakeapi.state import iter_buttons
from storage.models import (
    Base,
    Cadre,
    DropoutCase,
    Household,
    Member,
    Milestone,
    Pairing,
    Unit,
    UnitVillage,
    Village,
)
from storage.tenancy import TENANCY_SCHEMA, registry
from tests.e2e.conftest import CADRE_TG, HEAD_TG, OTHER_CADRE_TG, STRANGER_TG, SUPERVISOR_TG
from tests.e2e.counties import (
    B_CADRES,
    COUNTY_NAMES,
    A,
    B,
    Counties,
    build_seeded,
    counties_database,
    fake_counties,
)
from tests.e2e.fuzzing import (
    CHILDREN,
    COMMAND_NAMES,
    DATES,
    FIELD_WORDS,
    SCHOOL_TG,
    Findings,
    Fuzzer,
    Source,
    _piece,
    callback_field,
    check_api,
    clip,
)
from ui.actions import _REGISTRY, ID_MAX

YI_C2_TG, YI_H1_TG = 2002, 2003
SHARED = {CADRE_TG: "C1", SCHOOL_TG: "C3", SUPERVISOR_TG: "S1"}
# Telegram account -> roster code, per county.
PEOPLE: dict[str, dict[int, str]] = {
    A: {**SHARED, OTHER_CADRE_TG: "C2", HEAD_TG: "H1"},
    B: {**SHARED, YI_C2_TG: "C2", YI_H1_TG: "H1"},
}
# Who sends to each county's bot: its people but one, one person of the other county only,
# and the stranger. The one left out (each county's H1) never writes to the other bot, so
# a call of that bot about their chat would be a read of the other county's accounts.
SENDERS: dict[str, tuple[int, ...]] = {
    A: (*SHARED, OTHER_CADRE_TG, HEAD_TG, YI_C2_TG, STRANGER_TG),
    B: (*SHARED, YI_C2_TG, YI_H1_TG, OTHER_CADRE_TG, STRANGER_TG),
}
LABELS = {CADRE_TG: "C1", SCHOOL_TG: "C3", SUPERVISOR_TG: "S1", OTHER_CADRE_TG: "jia-C2"}
LABELS |= {HEAD_TG: "jia-H1", YI_C2_TG: "yi-C2", YI_H1_TG: "yi-H1", STRANGER_TG: "stranger"}

# Children per county: jia's are the single-county fuzz's; yi's other names, two more.
KIDS: dict[str, dict[str, tuple[str, date]]] = {
    A: dict(CHILDREN),
    B: {
        "H001": ("钱小军", date(2014, 3, 1)),
        "H005": ("孙小梅", date(2012, 5, 1)),
        "H007": ("冯小龙", date(2013, 1, 1)),
        "H003": ("何小凤", date(2015, 9, 2)),
        "H009": ("蒋小虎", date(2014, 6, 1)),
        "H002": ("韩小燕", date(2013, 8, 1)),
    },
}
# Households one county has and the other lacks: code -> (head, holder's code).
EXTRA: dict[str, dict[str, tuple[str, str]]] = {
    A: {"H011": ("户主11", "C1")},
    B: {"H009": ("住户9", "C1"), "H010": ("住户10", "C2")},
}
JIA_CADRES = ("李明", "王芳", "赵强", "张伟", "刘洋")


def names_of(slug: str) -> tuple[str, ...]:
    """Every name of `slug`'s people and of the county: private to it."""
    heads = "户主" if slug == A else "住户"
    cadres = JIA_CADRES if slug == A else tuple(B_CADRES.values())
    return (
        *(f"{heads}{n}" for n in range(1, 9)),
        *(head for head, _ in EXTRA[slug].values()),
        *cadres,
        *(name for name, _ in KIDS[slug].values()),
        COUNTY_NAMES[slug],
    )


def other(slug: str) -> str:
    return B if slug == A else A


@dataclass
class TenancyFindings(Findings):
    """The single-county fuzz's findings plus what crossed between counties."""

    cross: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [*(f"cross-county: {item}" for item in self.cross), *super().problems]


@dataclass
class CountyWorld:
    """What the fuzz knows of one county after its setup."""

    slug: str
    ids: dict[str, list[int]]  # table -> ids of its rows
    codes: list[str]  # household codes
    invites: list[str]  # open invite codes nobody redeemed


# ---- the digest of a schema ------------------------------------------------------------


async def schema_digest(connection: AsyncConnection, schema: str) -> dict[str, str]:
    """Every table of the bot in `schema`: its row count and an md5 of all its rows."""
    digest: dict[str, str] = {}
    for table in Base.metadata.sorted_tables:
        row = (
            await connection.execute(
                text(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), ''))"
                    f' FROM "{schema}"."{table.name}" t'
                )
            )
        ).one()
        digest[table.name] = f"{row[0]} rows, md5 {row[1]}"
    return digest


async def registry_digest(connection: AsyncConnection) -> dict[str, str]:
    digest: dict[str, str] = {}
    for table in registry.sorted_tables:
        rows = (await connection.execute(select(table))).all()
        digest[table.name] = repr(sorted(map(tuple, rows), key=repr))
    return digest


async def digests(engine: AsyncEngine, slug: str) -> dict[str, str]:
    async with engine.connect() as connection:
        found = await schema_digest(connection, f"county_{slug}")
        found |= {
            f"{TENANCY_SCHEMA}.{k}": v for k, v in (await registry_digest(connection)).items()
        }
        return found


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [
        f"{table}: {before.get(table)} -> {after.get(table)}"
        for table in sorted(set(before) | set(after))
        if before.get(table) != after.get(table)
    ]


# ---- what each bot showed ---------------------------------------------------------------


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value).casefold()


def typed_to(api: FakeBotAPI) -> dict[int, str]:
    """What each account wrote to the bot (texts, captions, callback data), folded."""
    typed: dict[int, str] = {}
    for chat_id, chat in api.world.chats.items():
        for stored in chat.messages.values():
            if not stored.from_bot:
                for version in stored.versions:
                    content = f"{version.get('text', '')} {version.get('caption', '')}"
                    typed[chat_id] = typed.get(chat_id, "") + "\n" + _fold(content)
    for record in api.methods.callbacks.values():
        account = int(record.query["from"]["id"])
        typed[account] = typed.get(account, "") + "\n" + _fold(str(record.query.get("data", "")))
    return typed


def check_names(
    api: FakeBotAPI, slug: str, forbidden: Iterable[str], stored_text: str
) -> list[str]:
    """Each `forbidden` name anything of `slug`'s bot showed anyone (texts, captions,
    buttons, file names, callback answers), unless that person typed it to this bot (an
    echo), or someone typed it and it is in the county's own rows (`stored_text`: written
    by someone, shown as written)."""
    shown: list[tuple[int, str]] = []
    for chat_id, chat in api.world.chats.items():
        for message in chat.messages.values():
            if not message.from_bot:
                continue
            for version in message.versions:
                content = " ".join(
                    [str(version.get("text", "")), str(version.get("caption", ""))]
                    + [str(b.get("text", "")) for b in iter_buttons(version)]
                    + [str((version.get("document") or {}).get("file_name", ""))]
                )
                shown.append((chat_id, content))
    for record in api.methods.callbacks.values():
        if record.answer is not None:
            shown.append((int(record.query["from"]["id"]), str(record.answer.get("text", ""))))
    typed = typed_to(api)
    anyone = "\n".join(typed.values())
    found = []
    for name in forbidden:
        folded = _fold(name)
        if folded in anyone and name in stored_text:
            continue
        for chat_id, content in shown:
            if name in content and folded not in typed.get(chat_id, ""):
                sample = content[:160].replace("\n", " | ")
                found.append(f"{slug}'s bot showed {name!r} to {chat_id}: {sample!r}")
                break
    return found


async def schema_text(engine: AsyncEngine, slug: str) -> str:
    """Every row of the county's tables as text: what its people wrote, among the rest."""
    parts = []
    async with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            value = await connection.scalar(
                text(f'SELECT string_agg(t::text, \',\') FROM "county_{slug}"."{table.name}" t')
            )
            parts.append(str(value or ""))
    return "\n".join(parts)


def check_chats(api: FakeBotAPI, slug: str) -> list[str]:
    """Every Bot API call of `slug`'s bot about a chat is about a chat that wrote to it."""
    wrote = {
        chat_id
        for chat_id, chat in api.world.chats.items()
        if any(not stored.from_bot for stored in chat.messages.values())
    }
    wrote |= {int(record.query["from"]["id"]) for record in api.methods.callbacks.values()}
    found = []
    for call in api.calls:
        chat_id = call.params.get("chat_id")
        if chat_id is None:
            continue
        try:
            number = int(chat_id)
        except (TypeError, ValueError):
            found.append(f"{slug}'s bot: {call.method} to chat {chat_id!r}")
            continue
        if number not in wrote:
            found.append(f"{slug}'s bot: {call.method} to chat {number}, which never wrote to it")
    return found


# ---- the world --------------------------------------------------------------------------


async def seed_more(counties: Counties, slug: str) -> None:
    """Beyond the harness's roster: the county's own households, children, a paired village."""
    async with counties.county(slug).sessionmaker() as session, session.begin():
        village = (await session.execute(select(Village).where(Village.code == "V1"))).scalar_one()
        unit = (await session.execute(select(Unit).where(Unit.code == "JYG"))).scalar_one()
        session.add(UnitVillage(unit_id=unit.id, village_id=village.id))
        cadres = dict((await session.execute(select(Cadre.code, Cadre.id))).all())
        for code, (head, holder) in EXTRA[slug].items():
            household = Household(code=code, village_id=village.id, head_name=head, size=3)
            session.add(household)
            await session.flush()
            since = counties.clock.now().replace(year=2026, month=1, day=1)
            session.add(Pairing(cadre_id=cadres[holder], household_id=household.id, since=since))
        ids = dict((await session.execute(select(Household.code, Household.id))).all())
        for code, (name, born) in KIDS[slug].items():
            session.add(
                Member(household_id=ids[code], name=name, birth_date=born, status="enrolled")
            )


async def read_world(counties: Counties, slug: str, invites: list[str]) -> CountyWorld:
    ids: dict[str, list[int]] = {}
    async with counties.county(slug).sessionmaker() as session:
        for model in (Household, Member, DropoutCase, Milestone, Village, Cadre):
            ids[model.__tablename__] = sorted((await session.execute(select(model.id))).scalars())
        codes = sorted((await session.execute(select(Household.code))).scalars())
    return CountyWorld(slug, ids, codes, invites)


async def settle(api: FakeBotAPI) -> None:
    await api.wait_idle(timeout=30)


async def prepare(counties: Counties) -> dict[str, CountyWorld]:
    """Both counties seeded further, their people registered through the bots, visits and
    dropout cases reported, every command shown once (buttons to replay), and two invites
    per county left open."""
    worlds = {}
    for slug in (A, B):
        await seed_more(counties, slug)
        api = counties.apis[slug]
        for account in SENDERS[slug]:
            api.user(account, f"user{account}", language_code="zh")
        for account, code in PEOPLE[slug].items():
            await counties.register(slug, account, code)
        kids = KIDS[slug]
        lines = [
            "/visit H001 2026-11-20",
            f"/dropout H001 {kids['H001'][0]} poverty",
            f"/dropout H003 {kids['H003'][0]} poverty",
        ]
        lines += [f"/visit {code} 2026-11-21" for code, (_, h) in EXTRA[slug].items() if h == "C1"]
        for line in lines:
            api.get_user(CADRE_TG).send_text(line)
            await settle(api)
        for account in (CADRE_TG, SUPERVISOR_TG, SCHOOL_TG):
            for name in COMMAND_NAMES:
                if name not in ("start", "cancel"):
                    api.get_user(account).send_text(f"/{name}")
            await settle(api)
        invites = [await counties.invite(slug, code) for code in ("C2", "H1")]
        worlds[slug] = await read_world(counties, slug, invites)
    return worlds


@contextlib.asynccontextmanager
async def fuzzed_counties() -> AsyncIterator[tuple[Counties, list[str]]]:
    """Counties jia and yi polled by one process, with an errors observer that records
    every exception reaching the dispatcher (and lets it go on)."""
    errors: list[str] = []

    async def observe(event: ErrorEvent) -> None:
        update = event.update
        errors.append(f"update {update.update_id} ({update.event_type}): {event.exception!r}")
        raise SkipHandler

    async with counties_database() as url, fake_counties(url) as counties:
        counties.app = await build_seeded(counties)
        counties.app.dispatcher.errors.register(observe)
        polling = asyncio.create_task(run_counties_polling(counties.app, handle_signals=False))
        try:
            for api in counties.apis.values():
                await api.wait_for_poll(timeout=10)
            yield counties, errors
        finally:
            counties.app.stop_polling()
            await asyncio.wait_for(polling, timeout=10)
            await counties.app.close()


# ---- driving ----------------------------------------------------------------------------


class CountyFuzzer(Fuzzer):
    """The single-county fuzzer at one county's bot, its people being that bot's senders,
    its forged ids and arguments those of both counties, its replays the other bot's."""

    def __init__(
        self,
        counties: Counties,
        slug: str,
        worlds: dict[str, CountyWorld],
        findings: TenancyFindings,
    ) -> None:
        # Not Fuzzer.__init__: no one-bot Harness here; everything goes through `api`.
        self.findings = findings
        self.log = []
        self.counties = counties
        self.slug = slug
        self.own, self.foreign = worlds[slug], worlds[other(slug)]
        self.users = SENDERS[slug]
        ids = {i for world in worlds.values() for table in world.ids.values() for i in table}
        self.ids = sorted(ids | {0, ID_MAX})
        self.foreign_only_codes = sorted(set(self.foreign.codes) - set(self.own.codes))
        self.pieces = [
            *self.foreign.codes,
            *self.foreign_only_codes,
            *self.foreign_only_codes,
            *names_of(other(slug)),
            *self.foreign.invites,
            *(str(i) for i in self.ids),
            *DATES[:3],
        ]

    @property
    def api(self) -> FakeBotAPI:
        return self.counties.apis[self.slug]

    @property
    def foreign_api(self) -> FakeBotAPI:
        return self.counties.apis[other(self.slug)]

    async def step(self, src: Source) -> None:
        kind = src.pick(
            ("command", "text", "press", "press", "double", "forge", "forge", "replay", "replay")
            + ("cross", "cross", "cross", "location", "keyboard", "burst")
        )
        account = src.pick(self.users)
        if kind == "cross":
            self.say(account, self.cross_command(src))
        elif kind == "burst":
            for _ in range(src.integer(2, 4)):
                what = src.pick(("cross", "forge", "replay", "press", "text"))
                if what == "cross":
                    self.say(src.pick(self.users), self.cross_command(src))
                else:
                    self.send_one(src, what, src.pick(self.users))
        else:
            self.send_one(src, kind, account)
        await self.idle()

    def say(self, account: int, line: str) -> None:
        self.note(account, "says", line)
        self.api.get_user(account).send_text(line)
        self.findings.updates += 1

    def cross_command(self, src: Source) -> str:
        """A command whose arguments name the other county's rows, people or invites."""
        name = src.pick(COMMAND_NAMES)
        args = [
            src.pick(self.pieces) if src.integer(0, 3) else _piece(src)
            for _ in range(src.pick((1, 1, 2, 3)))
        ]
        return " ".join([f"/{name}", *args])

    def forged(self, src: Source) -> str:
        """Any registered prefix with ids of both counties' rows, out of range, or junk."""
        shape = src.pick(("action", "action", "action", "arity", "random"))
        if shape == "random":
            return clip(src.text(64))
        prefix = src.pick(sorted(_REGISTRY))
        fields = _REGISTRY[prefix]._field_types()
        values = [callback_field(src, field_type, self.ids) for _, field_type in fields]
        if shape == "arity":
            values = values[: src.integer(0, len(values))] + ["1"] * src.integer(0, 2)
        return clip(":".join([prefix, *values]))

    def replayed(self, src: Source) -> str:
        """Real callback data the OTHER county's bot gave anyone (two in three), or this one's."""
        theirs = foreign_buttons(self.foreign_api)
        ours = [data for account in self.users for _, data in self.buttons(account)]
        pool = theirs if theirs and (src.integer(0, 2) or not ours) else ours
        return src.pick(pool) if pool else self.forged(src)

    def note(self, account: int, verb: str, what: str) -> None:
        shown = what if len(what) <= 80 else f"{what[:60]}...({len(what)} chars)"
        self.log.append(f"{self.slug}: {LABELS.get(account, account)} {verb} {shown!r}")

    async def sweep(self, src: Source) -> None:
        """Deterministic coverage: every command with an argument of the other county, and
        every action kind with the other county's ids (its rows only, its highest, both),
        each from an account of both counties and one of the other county only."""
        intruder = next(a for a in self.users if a not in PEOPLE[self.slug] and a != STRANGER_TG)
        for name in COMMAND_NAMES:
            for piece in (src.pick(self.pieces), src.pick(self.foreign_only_codes)):
                self.say(src.pick((CADRE_TG, SUPERVISOR_TG, SCHOOL_TG)), f"/{name} {piece}")
            await self.idle()
        for invite in self.foreign.invites:
            for account in (intruder, STRANGER_TG, CADRE_TG):
                self.say(account, f"/start {invite}")
            await self.idle()
        foreign_only = sorted(
            {i for t in self.foreign.ids.values() for i in t}
            - {i for t in self.own.ids.values() for i in t}
        )
        shared = sorted(set(self.foreign.ids["households"]) & set(self.own.ids["households"]))
        for prefix in sorted(_REGISTRY):
            fields = _REGISTRY[prefix]._field_types()
            for pool in (foreign_only or [ID_MAX], shared, [max(self.ids) + 1]):
                values = [
                    str(src.pick(pool))
                    if kind is int
                    else src.pick(("0", "1"))
                    if kind is bool
                    else src.pick(FIELD_WORDS)
                    for _, kind in fields
                ]
                data = clip(":".join([prefix, *values]))
                for account in (CADRE_TG, intruder):
                    messages = self.api.messages_to(account)
                    message_id = messages[-1]["message_id"] if messages else 999_999
                    self.note(account, f"forges on message {message_id}", data)
                    self.api.get_user(account).forge_callback(message_id, data)
                    self.findings.updates += 1
            await self.idle()


def foreign_buttons(api: FakeBotAPI) -> list[str]:
    """Callback data on every visible message of a bot, to anyone."""
    return [
        str(button["callback_data"])
        for chat in api.world.chats.values()
        for message in chat.bot_messages
        if not message.deleted
        for button in iter_buttons(message.current)
        if "callback_data" in button
    ]


async def check_county(
    counties: Counties, slug: str, findings: TenancyFindings, errors: list[str], logged: Any
) -> None:
    """The single-county checks of the bot (refusals, answers) and the cross-county ones."""
    api = counties.apis[slug]
    findings.unhandled += errors + logged.records
    errors.clear()
    logged.records.clear()
    check_api(api, findings)
    # Counted as expected by check_api; the harness fails on leaving for any 4xx it holds.
    api.rejections[:] = [r for r in api.rejections if NOT_MODIFIED not in r]
    stored = await schema_text(counties.running.engine, slug)
    findings.cross += check_names(api, slug, names_of(other(slug)), stored)
    findings.cross += check_chats(api, slug)
