"""Roster tables as county staff fill them in: names, aliases, allowed values, row checks.

Pure functions only, so the same rules serve the CSV/xlsx import, the demo generator and
any future channel. Spreadsheets come from Chinese-speaking clerks, so every table, column
and enumerated value also accepts its Chinese name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from domain.roles import Role, UnitKind
from domain.text import first_control_character, typed_code

# Tables in dependency order: a table only refers to tables before it.
TABLE_ORDER: tuple[str, ...] = (
    "townships",
    "villages",
    "units",
    "cadres",
    "households",
    "members",
    "pairings",
    "unit_villages",
)

TABLE_ALIASES: dict[str, str] = {
    "乡镇": "townships",
    "村": "villages",
    "行政村": "villages",
    "单位": "units",
    "干部": "cadres",
    "挂包干部": "cadres",
    "农户": "households",
    "贫困户": "households",
    "家庭成员": "members",
    "成员": "members",
    "挂包": "pairings",
    "挂包关系": "pairings",
    "单位挂村": "unit_villages",
}

COLUMN_ALIASES: dict[str, str] = {
    "编码": "code",
    "代码": "code",
    "编号": "code",
    "名称": "name",
    "姓名": "name",
    "乡镇编码": "township_code",
    "村编码": "village_code",
    "是否贫困村": "poor",
    "贫困村": "poor",
    "类型": "kind",
    "单位类型": "kind",
    "单位编码": "unit_code",
    "角色": "role",
    "电话": "phone",
    "手机": "phone",
    "手机号": "phone",
    "户编码": "household_code",
    "户主姓名": "head_name",
    "户主": "head_name",
    "人口": "size",
    "家庭人口": "size",
    "状态": "status",
    "性别": "sex",
    "出生日期": "birth_date",
    "学段": "stage",
    "学校": "school",
    "就读学校": "school",
    "年级": "grade",
    "干部编码": "cadre_code",
    "纬度": "latitude",
    "经度": "longitude",
}

# Columns per table; "required" ones must be present and non-blank on every row.
COLUMNS: dict[str, tuple[str, ...]] = {
    "townships": ("code", "name"),
    "villages": ("code", "name", "township_code", "poor", "latitude", "longitude"),
    "units": ("code", "name", "kind", "township_code"),
    "cadres": ("code", "name", "unit_code", "role", "phone"),
    "households": (
        "code",
        "village_code",
        "head_name",
        "size",
        "status",
        "latitude",
        "longitude",
    ),
    "members": (
        "household_code",
        "name",
        "sex",
        "birth_date",
        "stage",
        "school",
        "grade",
        "status",
    ),
    "pairings": ("cadre_code", "household_code"),
    "unit_villages": ("unit_code", "village_code"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "townships": ("code", "name"),
    "villages": ("code", "name", "township_code"),
    "units": ("code", "name"),
    "cadres": ("code", "name", "unit_code"),
    "households": ("code", "village_code", "head_name"),
    "members": ("household_code", "name"),
    "pairings": ("cadre_code", "household_code"),
    "unit_villages": ("unit_code", "village_code"),
}

# Enumerated values: canonical value -> accepted spellings (the canonical one included).
KIND_VALUES: dict[str, str] = {
    **{k.value: k.value for k in UnitKind},
    "股室": UnitKind.SECTION.value,
    "中心校": UnitKind.CENTRAL_SCHOOL.value,
    "中心学校": UnitKind.CENTRAL_SCHOOL.value,
    "学校": UnitKind.SCHOOL.value,
    "办公室": UnitKind.OFFICE.value,
}
ROLE_VALUES: dict[str, str] = {
    **{r.value: r.value for r in Role},
    "干部": Role.CADRE.value,
    "挂包干部": Role.CADRE.value,
    "单位负责人": Role.UNIT_HEAD.value,
    "负责人": Role.UNIT_HEAD.value,
    "督查": Role.SUPERVISOR.value,
    "督查员": Role.SUPERVISOR.value,
    "管理员": Role.ADMIN.value,
}
SEX_VALUES: dict[str, str] = {"m": "m", "f": "f", "男": "m", "女": "f", "male": "m", "female": "f"}
BOOL_VALUES: dict[str, bool] = {
    "是": True,
    "否": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
}
STAGE_VALUES: dict[str, str] = {
    "preschool": "preschool",
    "primary": "primary",
    "junior": "junior",
    "senior": "senior",
    "vocational": "vocational",
    "university": "university",
    "学前": "preschool",
    "幼儿园": "preschool",
    "小学": "primary",
    "初中": "junior",
    "高中": "senior",
    "中职": "vocational",
    "职高": "vocational",
    "大学": "university",
    "高校": "university",
}
MEMBER_STATUS_VALUES: dict[str, str] = {
    "enrolled": "enrolled",
    "graduated": "graduated",
    "dropout": "dropout",
    "suspended": "suspended",
    "exempted": "exempted",
    "not_school_age": "not_school_age",
    "suspected_dropout": "suspected_dropout",
    "在校": "enrolled",
    "在读": "enrolled",
    "毕业": "graduated",
    "已毕业": "graduated",
    "辍学": "dropout",
    "疑似辍学": "suspected_dropout",
    "休学": "suspended",
    "免学": "exempted",
    "缓学": "exempted",
    "非适龄": "not_school_age",
    "未到学龄": "not_school_age",
}
HOUSEHOLD_STATUS_VALUES: dict[str, str] = {
    "poor": "poor",
    "exited": "exited",
    "未脱贫": "poor",
    "贫困": "poor",
    "已脱贫": "exited",
    "脱贫": "exited",
}
_ENUMS: dict[tuple[str, str], dict[str, str]] = {
    ("units", "kind"): KIND_VALUES,
    ("cadres", "role"): ROLE_VALUES,
    ("members", "sex"): SEX_VALUES,
    ("members", "stage"): STAGE_VALUES,
    ("members", "status"): MEMBER_STATUS_VALUES,
    ("households", "status"): HOUSEHOLD_STATUS_VALUES,
}

MAX_HOUSEHOLD_SIZE = 30
_CODE_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")
_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_LENGTHS = {"name": 100, "head_name": 100, "school": 100, "grade": 32, "phone": 32}


# A table's own key under its reference name, e.g. 户编码 (household_code) in 农户.
_SELF_CODE = {
    "townships": "township_code",
    "villages": "village_code",
    "units": "unit_code",
    "cadres": "cadre_code",
    "households": "household_code",
}


@dataclass(frozen=True, order=True)
class RowError:
    """One problem with one cell, located the way the clerk sees it in Excel (header = 1)."""

    source: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.source}, row {self.row}" if self.row else self.source
        column = f", column {self.column}" if self.column else ""
        return f"{where}{column}: {self.reason}"


class RosterImportError(Exception):
    """The import was refused as a whole; `errors` lists every bad row."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = sorted(errors)
        shown = "\n".join(str(e) for e in self.errors[:20])
        more = f"\n... and {len(self.errors) - 20} more" if len(self.errors) > 20 else ""
        super().__init__(f"{len(self.errors)} problem(s) in the roster:\n{shown}{more}")


@dataclass
class ChangeCount:
    """What an upsert did to one table."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.inserted + self.updated

    def __str__(self) -> str:
        return f"{self.inserted} new, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class RawTable:
    """A table as read from a sheet or CSV file: canonical name, headers and raw rows."""

    table: str
    source: str
    headers: dict[str, str]  # canonical column -> header as written in the file
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()


def canonical_table(name: str) -> str | None:
    """`households`, `Households`, `农户` -> `households`; None for unknown names."""
    key = name.strip()
    if key.lower() in COLUMNS:
        return key.lower()
    return TABLE_ALIASES.get(key)


def canonical_column(header: object) -> str | None:
    """A header cell -> canonical column name (None when blank or unknown)."""
    if header is None:
        return None
    key = str(header).strip().lstrip("\ufeff").strip()
    if not key:
        return None
    lowered = key.lower().replace(" ", "_")
    if lowered in {c for cols in COLUMNS.values() for c in cols}:
        return lowered
    return COLUMN_ALIASES.get(key)


def map_headers(
    table: str, headers: list[object]
) -> tuple[dict[int, str], dict[str, str], list[str], list[str]]:
    """Map header cells to columns of `table`.

    Returns (position -> column, column -> header text, ignored headers, problems).
    Unknown headers are ignored (clerks add remarks columns); repeats are problems.
    """
    by_position: dict[int, str] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    problems: list[str] = []
    allowed = COLUMNS[table]
    for position, cell in enumerate(headers):
        column = canonical_column(cell)
        if column is not None and column == _SELF_CODE.get(table):
            column = "code"  # 户编码 in the households sheet is that table's own code
        text = "" if cell is None else str(cell).strip()
        if column is None or column not in allowed:
            if text:
                ignored.append(text)
            continue
        if column in written:
            problems.append(f"column {column} appears twice ({written[column]!r} and {text!r})")
            continue
        by_position[position] = column
        written[column] = text
    return by_position, written, ignored, problems


def cell_text(value: object) -> str | None:
    """A cell as trimmed text; numbers from Excel lose a spurious `.0`; blank -> None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def parse_date(value: object) -> date:
    """YYYY-MM-DD, YYYY/MM/DD, 2010年3月5日 or an Excel date cell."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value) or ""
    text = text.split(" ")[0]  # "2010-03-05 00:00:00" from spreadsheets saved as text
    match = _DATE_RE.match(text)
    if match is None:
        raise ValueError(f"not a date: {text!r} (use YYYY-MM-DD)")
    year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"no such date: {text!r}") from None


def parse_enum(values: dict[str, str], raw: str) -> str:
    """Map a spelling (English or Chinese, any case) to the canonical value."""
    found = values.get(raw) or values.get(raw.lower())
    if found is None:
        accepted = ", ".join(sorted(set(values.values())))
        raise ValueError(f"unknown value {raw!r}; expected one of: {accepted}")
    return found


def parse_bool(raw: str) -> bool:
    found = BOOL_VALUES.get(raw.lower())
    if found is None:
        raise ValueError(f"expected 是/否 or yes/no, got {raw!r}")
    return found


def parse_coordinate(column: str, raw: str) -> float:
    """Decimal degrees (WGS-84, as phones report them)."""
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"not a number of degrees: {raw!r}") from None
    limit = 90.0 if column == "latitude" else 180.0
    if not -limit <= value <= limit:
        raise ValueError(f"{column} {value} out of range -{limit:g}..{limit:g}")
    return value


def parse_size(raw: str) -> int:
    try:
        size = int(raw)
    except ValueError:
        raise ValueError(f"not a whole number: {raw!r}") from None
    if not 1 <= size <= MAX_HOUSEHOLD_SIZE:
        raise ValueError(f"household size {size} out of range 1-{MAX_HOUSEHOLD_SIZE}")
    return size


def _convert(table: str, column: str, value: object) -> object:
    """One present, non-blank cell -> typed value; raises ValueError with the reason."""
    if column == "birth_date":
        return parse_date(value)
    text = cell_text(value)
    assert text is not None
    if (table, column) in _ENUMS:
        return parse_enum(_ENUMS[(table, column)], text)
    if column == "poor":
        return parse_bool(text)
    if column == "size":
        return parse_size(text)
    if column in ("latitude", "longitude"):
        return parse_coordinate(column, text)
    if column == "code" or column.endswith("_code"):
        if not _CODE_RE.match(text):
            raise ValueError(f"bad code {text!r}: use 1-32 letters, digits, - _ .")
        # Codes are typed back in any case (/visit h0601005); the roster keeps them in upper.
        return typed_code(text)
    limit = _LENGTHS.get(column)
    if limit is not None and len(text) > limit:
        raise ValueError(f"longer than {limit} characters")
    return text


def validate_row(
    table: str,
    source: str,
    row_number: int,
    present: set[str],
    raw: dict[str, object],
    headers: dict[str, str] | None = None,
) -> tuple[dict[str, object] | None, list[RowError]]:
    """Check and type one row. Only columns present in the file are returned.

    A blank cell in a present optional column becomes None (clears the value);
    a blank required cell is an error, and so is a control character (NUL and the like,
    from a binary or mis-encoded file) anywhere in a cell. Errors name the column as the
    file writes it (`headers`: canonical -> header text), so a clerk finds 户主姓名, not
    head_name.
    """
    errors: list[RowError] = []
    label = headers or {}
    clean: dict[str, object] = {}
    for column in COLUMNS[table]:
        if column not in present:
            continue
        value = raw.get(column)
        # Edges are trimmed as in cell_text; inside a cell, NUL and the like are refused.
        control = first_control_character(value.strip()) if isinstance(value, str) else None
        if control is not None:
            errors.append(
                RowError(
                    source,
                    row_number,
                    label.get(column, column),
                    f"control character {control} in the cell (retype the value)",
                )
            )
            continue
        if cell_text(value) is None and not isinstance(value, date):
            if column in REQUIRED[table]:
                errors.append(
                    RowError(
                        source, row_number, label.get(column, column), "required value is blank"
                    )
                )
            else:
                clean[column] = None
            continue
        try:
            clean[column] = _convert(table, column, value)
        except ValueError as error:
            errors.append(RowError(source, row_number, label.get(column, column), str(error)))
    return (None if errors else clean), errors


def row_key(table: str, row: dict[str, object]) -> tuple[object, ...]:
    """The identity of a row within its table (what "duplicate" means)."""
    if table == "members":
        return (row["household_code"], row["name"])
    if table == "pairings":
        return (row["household_code"],)
    if table == "unit_villages":
        return (row["unit_code"], row["village_code"])
    return (row["code"],)


def key_columns(table: str) -> tuple[str, ...]:
    if table == "members":
        return ("household_code", "name")
    if table == "pairings":
        return ("household_code",)
    if table == "unit_villages":
        return ("unit_code", "village_code")
    return ("code",)
