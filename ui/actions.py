"""Every button's intent as plain data: a prefix and ids, packed into Telegram callback data.

The packed form is `prefix:value:value` (the same as aiogram's CallbackData), well under
Telegram's 64 bytes. Unpacking is strict: a forged or stale string with the wrong number of
parts, a non-number where a number belongs or an id outside a 32-bit key is refused (None),
so no handler ever sees it. Handlers match on these classes; reminders and views build them.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Self, get_type_hints

SEPARATOR = ":"
CALLBACK_DATA_LIMIT = 64
# Database keys are 32-bit; larger ids cannot name a row and only crash a query.
ID_MIN, ID_MAX = -(2**31), 2**31 - 1
_INT = re.compile(r"-?[0-9]{1,10}")
_REGISTRY: dict[str, type[Action]] = {}


class Action:
    """Base of every button intent; subclasses are frozen dataclasses of int, bool, str."""

    prefix: ClassVar[str]
    _fields: ClassVar[tuple[tuple[str, type], ...]]

    def __init_subclass__(cls, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if prefix in _REGISTRY or SEPARATOR in prefix:
            raise ValueError(f"action prefix {prefix!r} is taken or invalid")
        cls.prefix = prefix
        _REGISTRY[prefix] = cls

    @classmethod
    def _field_types(cls) -> tuple[tuple[str, type], ...]:
        if "_fields" not in cls.__dict__:
            hints = get_type_hints(cls)
            cls._fields = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        return cls._fields

    def pack(self) -> str:
        """`prefix:v1:v2`; a value with the separator or a result over 64 bytes is a bug."""
        values = []
        for name, _kind in self._field_types():
            value = getattr(self, name)
            text = str(int(value)) if isinstance(value, bool) else str(value)
            if SEPARATOR in text:
                raise ValueError(f"{name}={text!r} contains {SEPARATOR!r}")
            values.append(text)
        packed = SEPARATOR.join([self.prefix, *values])
        if len(packed.encode()) > CALLBACK_DATA_LIMIT:
            raise ValueError(f"callback data over {CALLBACK_DATA_LIMIT} bytes: {packed!r}")
        return packed

    @classmethod
    def unpack(cls, data: str) -> Self | None:
        """The action, or None when `data` is not exactly a well-formed one of this kind."""
        parts = data.split(SEPARATOR)
        fields = cls._field_types()
        if parts[0] != cls.prefix or len(parts) != len(fields) + 1:
            return None
        values: dict[str, object] = {}
        for (name, kind), text in zip(fields, parts[1:], strict=True):
            if kind is bool:
                if text not in ("0", "1"):
                    return None
                values[name] = text == "1"
            elif kind is int:
                if not _INT.fullmatch(text) or not ID_MIN <= int(text) <= ID_MAX:
                    return None
                values[name] = int(text)
            else:
                values[name] = text
        return cls(**values)


def parse_action(data: str) -> Action | None:
    """Any registered action from callback data, or None."""
    kind = _REGISTRY.get(data.split(SEPARATOR, 1)[0])
    return kind.unpack(data) if kind is not None else None


# ---- visits --------------------------------------------------------------------------


@dataclass(frozen=True)
class PickHousehold(Action, prefix="vh"):
    household_id: int


@dataclass(frozen=True)
class HouseholdPage(Action, prefix="vp"):
    page: int


@dataclass(frozen=True)
class PickDate(Action, prefix="vd"):
    """`days_ago` 0 = today, 1 = yesterday, -1 = type another date, for the draft `draft`."""

    draft: int
    days_ago: int


@dataclass(frozen=True)
class VisitStep(Action, prefix="vs"):
    """Confirm screen actions (ok, loc, note, photo, cancel) on the draft `draft` it shows."""

    action: str
    draft: int


# ---- village -------------------------------------------------------------------------


@dataclass(frozen=True)
class PickVillage(Action, prefix="vv"):
    village_id: int


@dataclass(frozen=True)
class VillageDate(Action, prefix="vvd"):
    """`days_ago` 0 = today, 1 = yesterday, -1 = type another date."""

    village_id: int
    days_ago: int


@dataclass(frozen=True)
class VillageStep(Action, prefix="vvs"):
    """Confirm screen actions (ok, who, talk, loc, photo, cancel) on the draft it shows."""

    action: str
    draft: int


# ---- status --------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusVisit(Action, prefix="stv"):
    """Log a visit dated today to this household (re-checked by the visit service)."""

    household_id: int


# ---- ledger --------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerPage(Action, prefix="ldp"):
    page: int


@dataclass(frozen=True)
class LedgerOpen(Action, prefix="ldo"):
    household_id: int


@dataclass(frozen=True)
class LedgerMember(Action, prefix="ldm"):
    member_id: int


@dataclass(frozen=True)
class LedgerStatus(Action, prefix="lds"):
    """A status for the member whose schooling record had the token `record` when the menu
    was shown (domain.ledgers.schooling_token): a later change makes the button stale."""

    member_id: int
    status: str
    record: int


@dataclass(frozen=True)
class LedgerStage(Action, prefix="ldt"):
    member_id: int
    stage: str


@dataclass(frozen=True)
class LedgerDestination(Action, prefix="ldd"):
    """Graduated, gone on to `destination`; `record` as for LedgerStatus."""

    member_id: int
    destination: str
    record: int


@dataclass(frozen=True)
class LedgerBirth(Action, prefix="ldb"):
    member_id: int


@dataclass(frozen=True)
class LedgerNeeds(Action, prefix="ldn"):
    household_id: int


@dataclass(frozen=True)
class LedgerAidMenu(Action, prefix="lda"):
    household_id: int


@dataclass(frozen=True)
class LedgerAidKind(Action, prefix="ldk"):
    household_id: int
    kind: str


@dataclass(frozen=True)
class LedgerReviewed(Action, prefix="ldr"):
    household_id: int


@dataclass(frozen=True)
class LedgerBack(Action, prefix="ldx"):
    """« Back from a menu to the household's ledger, in the same message."""

    household_id: int


# ---- dropouts ------------------------------------------------------------------------


@dataclass(frozen=True)
class DropoutPage(Action, prefix="drp"):
    page: int


@dataclass(frozen=True)
class DropoutHousehold(Action, prefix="drh"):
    household_id: int


@dataclass(frozen=True)
class DropoutChild(Action, prefix="drc"):
    member_id: int


@dataclass(frozen=True)
class DropoutNewChild(Action, prefix="drn"):
    household_id: int


@dataclass(frozen=True)
class DropoutReason(Action, prefix="drr"):
    """The reason, for the report draft `draft` the picker was shown for."""

    draft: int
    reason: str


@dataclass(frozen=True)
class DropoutSince(Action, prefix="drs"):
    """`typed` 0 = today, 1 = type another date, for the report draft `draft`."""

    draft: int
    typed: int


@dataclass(frozen=True)
class DropoutSkip(Action, prefix="drk"):
    """Skip an optional answer (`birth` or `note`) of the report draft `draft`."""

    draft: int
    what: str


@dataclass(frozen=True)
class DropoutConfirm(Action, prefix="dro"):
    """Report (1) or cancel (0) the draft `draft` the card shows."""

    draft: int
    ok: int


@dataclass(frozen=True)
class DropoutFromLedger(Action, prefix="drl"):
    member_id: int


@dataclass(frozen=True)
class CaseStep(Action, prefix="dcs"):
    """A step on a case card that showed `seen` events: stale once the case has moved on."""

    case_id: int
    step: str
    seen: int


@dataclass(frozen=True)
class CaseConfirm(Action, prefix="dcc"):
    """Take (1) or cancel (0) the step the confirmation `draft` asks about."""

    draft: int
    ok: int


@dataclass(frozen=True)
class CaseOpen(Action, prefix="dco"):
    case_id: int


# ---- progress ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressPick(Action, prefix="prm"):
    milestone_id: int


@dataclass(frozen=True)
class ProgressDone(Action, prefix="prd"):
    """The answer to "done?" for the milestone being reported (ids only)."""

    milestone_id: int
    done: bool


# ---- language ------------------------------------------------------------------------


@dataclass(frozen=True)
class PickLanguage(Action, prefix="lg"):
    code: str


# ---- notice --------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeFiles(Action, prefix="ntf"):
    """Send the workbook and chart of this month's notice (re-checked: supervisors only)."""

    month: str
