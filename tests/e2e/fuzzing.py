"""Fuzzing the real Dispatcher: random and forged updates from several people, and the
invariants every update must keep. Shared by tests/e2e/test_fuzz.py (Hypothesis draws the
choices) and bench/soak.py (a seeded random stream, much longer).

Invariants, checked against what the fake Bot API server and the database recorded:
no exception reaches the dispatcher (and nothing is logged at ERROR), no Bot API call is
refused, every callback query is answered exactly once, no write outside the writer's scope
(and none by the stranger), and no household code, head name or child's name reaches a
person outside their scope unless they typed it themselves.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import unicodedata
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TypeVar

from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.types import ErrorEvent
from sqlalchemy import select

from domain.dropouts import REASONS, STEPS
from domain.ledgers import AID_KINDS, DESTINATIONS, EDITABLE_STATUSES, STAGES
from fakeapi.methods import NOT_MODIFIED
from fakeapi.server import FakeBotAPI
from fakeapi.state import JsonDict, iter_buttons
from storage.models import (
    AidRecord,
    Cadre,
    DropoutCase,
    DropoutEvent,
    Household,
    HouseholdVisit,
    LedgerChange,
    LedgerReview,
    Member,
    MilestoneReport,
    OutboxMessage,
    Pairing,
    Unit,
    UnitVillage,
    Village,
    VillageVisit,
)
from tests.e2e.conftest import (
    CADRE_TG,
    HEAD_TG,
    OTHER_CADRE_TG,
    STRANGER_TG,
    SUPERVISOR_TG,
    Harness,
    running_bot,
)
from ui.actions import _REGISTRY, ID_MAX, ID_MIN
from ui.views.help import COMMANDS

T = TypeVar("T")
SCHOOL_TG = 1005
# Telegram account -> roster code of the people who registered; the stranger did not.
PEOPLE: dict[int, str] = {
    CADRE_TG: "C1",
    OTHER_CADRE_TG: "C2",
    SCHOOL_TG: "C3",
    HEAD_TG: "H1",
    SUPERVISOR_TG: "S1",
}
USERS: tuple[int, ...] = (*PEOPLE, STRANGER_TG)
# Children on the demo households (their names are as private as the head's).
CHILDREN = {"H001": ("李小明", date(2014, 3, 1)), "H005": ("王小红", date(2012, 5, 1))}
CHILDREN.update({"H007": ("赵小刚", date(2013, 1, 1)), "H003": ("陈小兰", date(2015, 9, 2))})
IDLE_TIMEOUT = 30.0


class Source(Protocol):
    """Where the fuzz's choices come from: Hypothesis (shrinkable) or a seeded Random."""

    def pick(self, options: Sequence[T]) -> T: ...

    def integer(self, low: int, high: int) -> int: ...

    def text(self, max_size: int) -> str: ...


# ---- inputs --------------------------------------------------------------------------

HOUSEHOLD_CODES = tuple(f"H00{n}" for n in range(1, 9))
HEAD_NAMES = tuple(f"户主{n}" for n in range(1, 9))
ROSTER_CODES = ("C1", "C2", "C3", "H1", "S1", "T1", "T2", "JYG", "CS1", "BGS", "V1", "ZZ9")
DATES = ["2026-11-28", "2026-11-27", "2026-11-29", "2027-01-01", "2026-10-01", "2020-01-01"]
DATES += ["2026-02-30", "2026-13-01", "0000-00-00", "11/20", "today", "9999-12-31", "2026-11-2"]
PERIODS = ["2026-Q4", "2026-Q1", "2026-Q9", "1999-Q1", "Q4", "2026-11", "2026-13", "2026-00"]
WORDS = [*REASONS, "贫困", "打工", "zh", "en", "fr", "ok", "cancel", "yes", "无", "1", "-1"]
HTML = ["<b>粗</b>", "<script>alert(1)</script>", "<a href='tg://x'>x", "&lt;&amp;", "&"]
HTML += ["</i>", "<tg-spoiler>", "<<>>", '"quoted"', "<pre><code>", "<br/>", "&#0;"]
SQL = ["'; DROP TABLE households; --", "1 OR 1=1", '" OR ""="', "%", "_", "\\", "H00%"]
SQL += ["'); DELETE FROM household_visits; --", "NULL", "1; SELECT * FROM cadres"]
UNICODE = ["👨\u200d👩\u200d👧\u200d👦", "\u202eH003", "مرحبا بالعالم", "e\u0301\u0301\u0301"]
UNICODE += ["\u200b", "\ufeff", "𝕳𝟎𝟎𝟑", "Ｈ００３", "😀" * 5, "\U0010ffff", "ﷺ", "\u0000"]
UNICODE += ["\u001b[31m", "\r\n", "\u2028", "ᚠᛇᚻ", "İstanbul", "ß", "\ud7ff"]
EMPTY = ["", " ", "\n", "\t", "   \n  "]
# Values of the text fields of packed actions (statuses, steps, ...), valid and not.
FIELD_WORDS = [*EDITABLE_STATUSES, "dropout", *STAGES, *DESTINATIONS, *AID_KINDS, *STEPS]
FIELD_WORDS += ["ok", "loc", "note", "photo", "cancel", "who", "talk", "birth", "zh", "en"]
FIELD_WORDS += ["2026-11", "2026-13", "OK", "", " ", "ok ", "x" * 40]
COMMAND_NAMES = (*(c.name for c in COMMANDS), "start")


def _piece(src: Source) -> str:
    kind = src.pick(("code", "name", "roster", "date", "period", "word", "html", "sql"))
    kind = src.pick((kind, "unicode", "empty", "random", "long", "number"))
    if kind == "long":
        unit = src.pick(("a", "H001 ", "<b>", "漢", "😀", "e\u0301", "户主1 "))
        return unit * (4097 // len(unit) + src.integer(0, 40))
    if kind == "random":
        return src.text(80)
    if kind == "number":
        return str(src.pick((0, -1, ID_MAX, ID_MAX + 1, ID_MIN - 1, 10**20, src.integer(-99, 99))))
    pools: dict[str, Sequence[str]] = {
        "code": HOUSEHOLD_CODES + ("hh_H001", "hh_H007", "hh_", "H000", "h003"),
        "name": HEAD_NAMES + tuple(name for name, _ in CHILDREN.values()),
        "roster": ROSTER_CODES,
        "date": DATES,
        "period": PERIODS,
        "word": WORDS,
        "html": HTML,
        "sql": SQL,
        "unicode": UNICODE,
        "empty": EMPTY,
    }
    return src.pick(pools[kind])


def free_text(src: Source) -> str:
    """One to three pieces of any kind, joined by a space or nothing."""
    pieces = [_piece(src) for _ in range(src.integer(1, 3))]
    return src.pick((" ", "", "\n")).join(pieces)


def command_text(src: Source) -> str:
    name = src.pick(COMMAND_NAMES)
    head = "/" + src.pick((name, name, name, f"{name}@cadrebot_sandbox_bot", name.upper()))
    args = [_piece(src) for _ in range(src.pick((0, 0, 1, 1, 2, 3)))]
    return " ".join([head, *args])


def callback_field(src: Source, kind: type, ids: Sequence[int]) -> str:
    """A value for one field of a packed action: often valid, often not."""
    if kind is int:
        number = src.pick((*ids, 0, -1, ID_MAX, ID_MAX + 1, ID_MIN - 1, 10**12, 2**63))
        number = src.pick((number, src.integer(-(10**6), 10**6)))
        return src.pick((str(number), str(number), "x", "", "1.5", "0x10", " 1", "01", "١"))
    if kind is bool:
        return src.pick(("0", "1", "2", "", "true"))
    return src.pick((*FIELD_WORDS, src.text(20)))


def clip(data: str, limit: int = 64) -> str:
    """At most `limit` UTF-8 bytes, as Telegram's callback_data (cut on a character)."""
    encoded = data.encode("utf-8", "surrogatepass")
    while len(encoded) > limit:
        data = data[:-1]
        encoded = data.encode("utf-8", "surrogatepass")
    return data


# ---- the world -----------------------------------------------------------------------


@dataclass
class Scope:
    """What the fuzz knows of the demo county, read once from the template database."""

    household_ids: dict[str, int]
    head_names: dict[str, str]
    children: dict[str, str]  # child's name -> household code
    visible: dict[int, frozenset[str]]  # Telegram account -> household codes in scope
    bound: dict[int, int | None]  # cadre id -> Telegram account, as registered
    stranger: int = STRANGER_TG


@dataclass
class Findings:
    """What broke an invariant; the soak's table counts these."""

    updates: int = 0
    callbacks: int = 0
    # Edits Telegram answered "message is not modified" (a double tap): expected, and taken
    # as done by the bot (bot.telegram); a failure it caused would show as unhandled.
    not_modified: int = 0
    unhandled: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    unauthorized: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        named = (
            ("unhandled", self.unhandled),
            ("rejected Bot API call", self.rejected),
            ("unauthorized write", self.unauthorized),
            ("callback not answered exactly once", self.unanswered),
            ("leak", self.leaks),
            ("bot never became idle", self.hangs),
        )
        return [f"{what}: {item}" for what, items in named for item in items]


class ErrorLog(logging.Handler):
    """Every ERROR record while the fuzz runs (a handler that swallowed and logged a bug)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        self.records.append(f"{record.name}: {record.getMessage()} {error!r}")


@contextlib.contextmanager
def error_log() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


async def build_template(folder: Path) -> tuple[Path, Scope]:
    """The demo county with everyone but the stranger registered through the bot, children
    on four households, a paired village and a dropout case: copied for every run."""
    path = folder / "template.sqlite3"
    async with running_bot(f"sqlite+aiosqlite:///{path}", CADREBOT_SCHEDULER="off") as h:
        ids = await h.household_ids()
        async with h.app.sessionmaker() as session, session.begin():
            unit = (await session.execute(select(Unit).where(Unit.code == "JYG"))).scalar_one()
            village = (
                await session.execute(select(Village).where(Village.code == "V1"))
            ).scalar_one()
            session.add(UnitVillage(unit_id=unit.id, village_id=village.id))
            for code, (name, born) in CHILDREN.items():
                session.add(
                    Member(household_id=ids[code], name=name, birth_date=born, status="enrolled")
                )
        await h.register_all(PEOPLE)
        await h.say(CADRE_TG, "/dropout H001 李小明 poverty")
        scope = await read_scope(h)
    return path, scope


async def read_scope(h: Harness) -> Scope:
    """Who may see which household: its holder; a central school's people the households of
    its township (their dropout cases); supervisors all; nobody else (a unit head sees the
    unit by cadre, not by household; the stranger sees nothing)."""
    async with h.app.sessionmaker() as session:
        households = (
            await session.execute(
                select(Household.id, Household.code, Household.head_name, Village.township_id).join(
                    Village, Village.id == Household.village_id
                )
            )
        ).all()
        holders = dict(
            (
                await session.execute(
                    select(Pairing.household_id, Pairing.cadre_id).where(Pairing.until.is_(None))
                )
            ).all()
        )
        cadres = (
            await session.execute(
                select(Cadre.id, Cadre.telegram_user_id, Cadre.role, Cadre.unit_id)
            )
        ).all()
        units = {u.id: u for u in (await session.execute(select(Unit))).scalars()}
        members = (await session.execute(select(Member.name, Member.household_id))).all()
    code_of = {hid: code for hid, code, _, _ in households}
    visible: dict[int, frozenset[str]] = {STRANGER_TG: frozenset()}
    for cadre_id, account, role, unit_id in cadres:
        if account is None:
            continue
        unit = units[unit_id]
        seen = set()
        for hid, code, _, township in households:
            holder = holders.get(hid)
            if (
                holder == cadre_id
                or role in ("supervisor", "admin")
                or (unit.kind == "central_school" and township == unit.township_id)
            ):
                seen.add(code)
        visible[int(account)] = frozenset(seen)
    return Scope(
        household_ids={code: hid for hid, code, _, _ in households},
        head_names={code: name for _, code, name, _ in households},
        children={name: code_of[hid] for name, hid in members},
        visible=visible,
        bound={cadre_id: account for cadre_id, account, _, _ in cadres},
    )


def copy_database(template: Path, target: Path) -> str:
    """A fresh copy of the template (WAL files too, if SQLite left any)."""
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{template}{suffix}")
        if source.exists():
            shutil.copyfile(source, Path(f"{target}{suffix}"))
    return f"sqlite+aiosqlite:///{target}"


@contextlib.asynccontextmanager
async def fuzzed_bot(database_url: str) -> AsyncIterator[tuple[Harness, list[str]]]:
    """The real bot on `database_url`, with an errors observer that records every exception
    reaching the dispatcher and lets it go on (SkipHandler: nothing is swallowed)."""
    errors: list[str] = []

    async def observe(event: ErrorEvent) -> None:
        update = event.update
        errors.append(f"update {update.update_id} ({update.event_type}): {event.exception!r}")
        raise SkipHandler

    async with running_bot(database_url, seed=False, CADREBOT_SCHEDULER="off") as h:
        h.app.dispatcher.errors.register(observe)  # polling has not started yet
        for account in USERS:
            h.api.user(account, f"user{account}", language_code="zh")
        yield h, errors


# ---- driving -------------------------------------------------------------------------


class Fuzzer:
    """Sends drawn updates as the people of the demo county and waits until the bot is idle."""

    def __init__(self, h: Harness, scope: Scope, findings: Findings) -> None:
        self.h = h
        self.scope = scope
        self.findings = findings
        self.log: list[str] = []

    @property
    def api(self) -> FakeBotAPI:
        return self.h.api

    async def step(self, src: Source) -> None:
        """One drawn action (some send several updates at once), then wait for idle."""
        kind = src.pick(
            ("command", "command", "text", "press", "press", "press", "double", "forge")
            + ("forge", "replay", "location", "keyboard", "burst")
        )
        account = src.pick(USERS)
        if kind == "burst":
            for _ in range(src.integer(2, 4)):
                self.send_one(src, src.pick(("command", "text", "forge", "press")), src.pick(USERS))
        else:
            self.send_one(src, kind, account)
        await self.idle()

    async def idle(self) -> None:
        try:
            await self.api.wait_idle(timeout=IDLE_TIMEOUT)
        except AssertionError as error:
            self.findings.hangs.append(f"{error} after {self.log[-3:]}")
            raise

    def send_one(self, src: Source, kind: str, account: int) -> None:
        user = self.api.get_user(account)
        buttons = self.buttons(account)
        if kind in ("press", "double") and not buttons:
            kind = "command"
        if kind == "command" or kind == "text":
            text = command_text(src) if kind == "command" else free_text(src)
            self.note(account, "says", text)
            user.send_text(text)
        elif kind == "press" or kind == "double":
            message_id, data = src.pick(buttons)
            for _ in range(2 if kind == "double" else 1):
                self.note(account, "presses", data)
                user.press(message_id, data)
        elif kind == "keyboard":
            labels = self.keyboard_labels(account)
            text = src.pick(labels) if labels else free_text(src)
            self.note(account, "says", text)
            user.send_text(text)
        elif kind == "location":
            latitude = src.pick((25.5, -90.0, 90.0, 0.0, 25.51 + src.integer(0, 99) / 1000))
            longitude = src.pick((101.2, -180.0, 180.0, 0.0))
            accuracy = src.pick((None, 0.0, 5.0, 1500.0))
            self.note(account, "shares location", f"{latitude},{longitude},{accuracy}")
            user.send_location(latitude, longitude, accuracy)
        else:
            data = self.replayed(src) if kind == "replay" else self.forged(src)
            message_ids = [m["message_id"] for m in self.api.messages_to(account)]
            message_id = src.pick((*message_ids[-3:], 999_999)) if message_ids else 999_999
            self.note(account, f"forges on message {message_id}", data)
            user.forge_callback(message_id, data)
        self.findings.updates += 2 if kind == "double" else 1

    def note(self, account: int, verb: str, what: str) -> None:
        shown = what if len(what) <= 80 else f"{what[:60]}...({len(what)} chars)"
        self.log.append(f"{PEOPLE.get(account, 'stranger')} {verb} {shown!r}")

    def buttons(self, account: int) -> list[tuple[int, str]]:
        """Callback buttons on the bot's last five visible messages to the person."""
        chat = self.api.world.chat(account)
        if chat is None:
            return []
        shown = [m for m in chat.bot_messages if not m.deleted][-5:]
        return [
            (m.message_id, str(b["callback_data"]))
            for m in shown
            for b in iter_buttons(m.current)
            if "callback_data" in b
        ]

    def keyboard_labels(self, account: int) -> list[str]:
        """Labels of reply-keyboard buttons the bot showed the person (typing one = tapping)."""
        labels: list[str] = []
        for message in self.api.messages_to(account)[-5:]:
            markup = message.get("reply_markup") or {}
            for row in markup.get("keyboard", []):
                labels += [b if isinstance(b, str) else str(b.get("text", "")) for b in row]
        return labels

    def forged(self, src: Source) -> str:
        """Any registered prefix with drawn fields (ids of anyone's rows, out-of-range ids,
        junk), a wrong number of parts, or a random string."""
        shape = src.pick(("action", "action", "action", "arity", "random"))
        if shape == "random":
            return clip(src.text(64))
        prefix = src.pick(sorted(_REGISTRY))
        kind = _REGISTRY[prefix]
        fields = kind._field_types()
        ids = (*self.scope.household_ids.values(), *range(1, 6))
        values = [callback_field(src, field_type, ids) for _, field_type in fields]
        if shape == "arity":
            values = values[: src.integer(0, len(values))] + ["1"] * src.integer(0, 2)
        return clip(":".join([prefix, *values]))

    def replayed(self, src: Source) -> str:
        """Real callback data the bot gave anyone (another person's household, member, case)."""
        everyone = [data for account in USERS for _, data in self.buttons(account)]
        return src.pick(everyone) if everyone else self.forged(src)


# ---- checking ------------------------------------------------------------------------


def check_api(api: FakeBotAPI, findings: Findings) -> None:
    """No refused call (schema, limits, edits of missing messages, answers twice), and every
    callback query answered exactly once."""
    answers: dict[str, int] = {}
    for call in api.calls:
        if call.method.startswith("editMessage") and call.description == NOT_MODIFIED:
            findings.not_modified += 1
            continue
        if call.status != 200 and not (call.method == "getUpdates" and call.status == 409):
            findings.rejected.append(
                f"{call.method} -> {call.status} {call.description!r}; {_brief(call.params)}"
            )
        if call.method == "answerCallbackQuery" and call.status == 200:
            query_id = str(call.params.get("callback_query_id"))
            answers[query_id] = answers.get(query_id, 0) + 1
    for query_id, record in api.methods.callbacks.items():
        findings.callbacks += 1
        count = answers.get(query_id, 0)
        if count != 1:
            who = record.query["from"]["id"]
            findings.unanswered.append(
                f"{PEOPLE.get(who, 'stranger')} data {record.query.get('data')!r}: {count} answers"
            )


def _brief(params: JsonDict) -> str:
    text = repr({k: v for k, v in params.items() if k != "reply_markup"})
    return text if len(text) < 200 else text[:200] + "..."


def _without(text: str, written: Sequence[str]) -> str:
    for content in written:
        if content and content in text:
            text = text.replace(content, " ")
    return text


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def check_leaks(
    api: FakeBotAPI, scope: Scope, findings: Findings, written: Sequence[str] = ()
) -> None:
    """No household code, head name or child's name outside the person's scope in anything
    the bot showed them (texts, captions, buttons, callback answers), unless they typed it
    or it is inside what someone wrote (`written`: a progress report, a note) and the bot
    shows as written."""
    private = {code: [code, scope.head_names[code]] for code in scope.household_ids}
    for child, code in scope.children.items():
        if child in {name for name, _ in CHILDREN.values()}:
            private[code].append(child)
    shown_by: dict[int, list[str]] = {account: [] for account in USERS}
    typed_by: dict[int, str] = {account: "" for account in USERS}
    for account in USERS:
        chat = api.world.chat(account)
        if chat is None:
            continue
        for stored in chat.messages.values():
            for version in stored.versions:
                text = " ".join(
                    [str(version.get("text", "")), str(version.get("caption", ""))]
                    + [str(b.get("text", "")) for b in iter_buttons(version)]
                    + [str((version.get("document") or {}).get("file_name", ""))]
                )
                if stored.from_bot:
                    shown_by[account].append(_without(text, written))
                else:
                    typed_by[account] += "\n" + _fold(text)
    for record in api.methods.callbacks.values():
        account = int(record.query["from"]["id"])
        typed_by[account] += "\n" + _fold(str(record.query.get("data", "")))
        if record.answer is not None and account in shown_by:
            shown_by[account].append(str(record.answer.get("text", "")))
    for account in USERS:
        allowed = scope.visible.get(account, frozenset())
        for code, words in private.items():
            if code in allowed:
                continue
            for word in words:
                if _fold(word) in typed_by[account]:
                    continue
                hits = [text for text in shown_by[account] if word in text]
                if hits:
                    sample = hits[0][:160].replace("\n", " | ")
                    findings.leaks.append(
                        f"{PEOPLE.get(account, 'stranger')} saw {word!r} ({code}): {sample!r}"
                    )


async def check_writes(h: Harness, scope: Scope, findings: Findings) -> None:
    """Every row written by someone allowed to write it; nothing by the stranger."""
    async with h.app.sessionmaker() as session:

        async def rows(model: type[Any]) -> list[Any]:
            return list((await session.execute(select(model))).scalars())

        holders = {p.household_id: p.cadre_id for p in await rows(Pairing) if p.until is None}
        cadres = {c.id: c for c in await rows(Cadre)}
        paired = {(uv.unit_id, uv.village_id) for uv in await rows(UnitVillage)}
        cases = {c.id: c for c in await rows(DropoutCase)}
        bad = findings.unauthorized

        def school_or_supervisor(actor_id: int, school_unit_id: int | None) -> bool:
            actor = cadres[actor_id]
            return actor.role in ("supervisor", "admin") or actor.unit_id == school_unit_id

        for cadre in cadres.values():
            if cadre.telegram_user_id != scope.bound.get(cadre.id):
                bad.append(f"cadre {cadre.code} bound to {cadre.telegram_user_id}")
        for visit in await rows(HouseholdVisit):
            if holders.get(visit.household_id) != visit.cadre_id:
                bad.append(
                    f"visit {visit.id} to household {visit.household_id} by {visit.cadre_id}"
                )
        for village_visit in await rows(VillageVisit):
            writer = cadres[village_visit.cadre_id]
            if writer.unit_id != village_visit.unit_id or (
                (village_visit.unit_id, village_visit.village_id) not in paired
            ):
                bad.append(f"village visit {village_visit.id} by {writer.code}")
        for review in await rows(LedgerReview):
            if review.reviewed_by is not None and holders.get(review.household_id) != (
                review.reviewed_by
            ):
                bad.append(f"review of household {review.household_id} by {review.reviewed_by}")
        for aid in await rows(AidRecord):
            if holders.get(aid.household_id) != aid.recorded_by:
                bad.append(f"aid on household {aid.household_id} by {aid.recorded_by}")
        for change in await rows(LedgerChange):
            by_case = any(
                case.household_id == change.household_id
                and school_or_supervisor(change.changed_by, case.school_unit_id)
                for case in cases.values()
            )
            if holders.get(change.household_id) != change.changed_by and not by_case:
                bad.append(
                    f"ledger change {change.field!r} of household {change.household_id} "
                    f"by {change.changed_by}"
                )
        for case in cases.values():
            if holders.get(case.household_id) != case.reporter_id:
                bad.append(f"dropout case {case.id} on {case.household_id} by {case.reporter_id}")
        for event in await rows(DropoutEvent):
            case = cases[event.case_id]
            allowed = (
                holders.get(case.household_id) == event.actor_id
                if event.kind == "report"
                else school_or_supervisor(event.actor_id, case.school_unit_id)
            )
            if not allowed:
                bad.append(f"case {case.id} step {event.kind!r} by {event.actor_id}")
        for report in await rows(MilestoneReport):
            writer = cadres[report.reported_by]
            if writer.role != "unit_head" or writer.unit_id != report.unit_id:
                bad.append(f"progress on milestone {report.milestone_id} by {writer.code}")
        for message in await rows(OutboxMessage):
            if message.chat_id == scope.stranger:
                bad.append(f"outbox message {message.id} to the stranger")


def describe(fuzzer: Fuzzer, limit: int = 20) -> str:
    """The updates sent and what broke, for an assertion message."""
    steps = "\n  ".join(fuzzer.log)
    problems = "\n  ".join(fuzzer.findings.problems[:limit])
    return f"after these updates:\n  {steps}\nbroken:\n  {problems}"


async def free_texts(h: Harness) -> list[str]:
    """What people wrote that the bot shows others as written, longest first."""
    columns = (
        MilestoneReport.text,
        HouseholdVisit.note,
        VillageVisit.participants,
        VillageVisit.discussed,
        LedgerReview.needs,
        AidRecord.note,
        DropoutEvent.note,
        Member.school,
        Member.grade,
    )
    found: set[str] = set()
    async with h.app.sessionmaker() as session:
        for column in columns:
            found.update(v for v in (await session.execute(select(column))).scalars() if v)
    return sorted(found, key=len, reverse=True)


async def check_all(
    h: Harness, scope: Scope, findings: Findings, errors: list[str], logged: ErrorLog
) -> None:
    findings.unhandled += errors + logged.records
    errors.clear()
    logged.records.clear()
    check_api(h.api, findings)
    # Counted as expected above; the harness fails on leaving for any 4xx it still holds.
    h.api.rejections[:] = [r for r in h.api.rejections if NOT_MODIFIED not in r]
    check_leaks(h.api, scope, findings, await free_texts(h))
    await check_writes(h, scope, findings)
