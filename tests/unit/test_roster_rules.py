"""Roster rules: aliases, enumerated values, dates, row errors, file reading."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from domain.roster import (
    RowError,
    canonical_column,
    canonical_table,
    cell_text,
    map_headers,
    parse_date,
    validate_row,
)
from domain.roster_text import UnreadableText
from services.files.roster import decode_csv_bytes, read_roster_path
from services.roster_import import RosterImportError, prepare_tables

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "roster"


def _validate(
    table: str,
    source: str,
    row: int,
    raw: dict[str, object],
    headers: dict[str, str] | None = None,
) -> tuple[dict[str, object] | None, list[RowError]]:
    """validate_row for a file whose columns are exactly those of `raw`."""
    return validate_row(table, source, row, set(raw), raw, headers)


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("households", "households"),
        ("Households", "households"),
        ("农户", "households"),
        ("乡镇", "townships"),
        ("村", "villages"),
        ("单位", "units"),
        ("干部", "cadres"),
        ("家庭成员", "members"),
        ("挂包", "pairings"),
        ("单位挂村", "unit_villages"),
        ("说明", None),
    ],
)
def test_table_aliases(name: str, table: str | None) -> None:
    assert canonical_table(name) == table


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("编码", "code"),
        ("代码", "code"),
        ("\ufeff编码", "code"),
        (" 名称 ", "name"),
        ("乡镇编码", "township_code"),
        ("是否贫困村", "poor"),
        ("手机", "phone"),
        ("电话", "phone"),
        ("户主姓名", "head_name"),
        ("干部编码", "cadre_code"),
        ("Birth Date", "birth_date"),
        ("备注", None),
        (None, None),
    ],
)
def test_column_aliases(header: object, column: str | None) -> None:
    assert canonical_column(header) == column


def test_map_headers_ignores_unknown_and_reports_repeats() -> None:
    positions, written, ignored, problems = map_headers("cadres", ["编码", "姓名", "备注", "代码"])
    assert positions == {0: "code", 1: "name"}
    assert written == {"code": "编码", "name": "姓名"}
    assert ignored == ["备注"]
    assert len(problems) == 1 and "code" in problems[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2010-03-05", date(2010, 3, 5)),
        ("2010/3/5", date(2010, 3, 5)),
        ("2010年3月5日", date(2010, 3, 5)),
        (datetime(2010, 3, 5, 0, 0), date(2010, 3, 5)),  # noqa: DTZ001 - an Excel cell
        (date(2010, 3, 5), date(2010, 3, 5)),
        ("2010-03-05 00:00:00", date(2010, 3, 5)),
    ],
)
def test_parse_date_formats(value: object, expected: date) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["05/03/2010", "2010-02-30", "yesterday"])
def test_parse_date_refuses(value: str) -> None:
    with pytest.raises(ValueError):
        parse_date(value)


def test_cell_text_drops_excel_float_suffix() -> None:
    assert cell_text(13800000001.0) == "13800000001"
    assert cell_text("  ") is None
    assert cell_text(None) is None


def test_chinese_enum_values() -> None:
    clean, errors = _validate(
        "units", "units.csv", 2, {"code": "ZX06", "name": "x", "kind": "中心校"}
    )
    assert errors == [] and clean is not None and clean["kind"] == "central_school"
    for raw, role in [("干部", "cadre"), ("单位负责人", "unit_head"), ("督查", "supervisor"),
                      ("管理员", "admin"), ("Admin", "admin")]:  # fmt: skip
        clean, errors = _validate(
            "cadres", "c", 2, {"code": "C1", "name": "n", "unit_code": "U", "role": raw}
        )
        assert clean is not None and clean["role"] == role
    clean, _ = _validate(
        "villages", "v", 2, {"code": "V1", "name": "n", "township_code": "T", "poor": "否"}
    )
    assert clean is not None and clean["poor"] is False
    clean, _ = _validate(
        "members",
        "m",
        2,
        {"household_code": "H1", "name": "n", "sex": "女", "stage": "初中", "status": "在校"},
    )
    assert clean is not None
    assert (clean["sex"], clean["stage"], clean["status"]) == ("f", "junior", "enrolled")


def test_row_errors_name_every_bad_cell() -> None:
    clean, errors = _validate(
        "households",
        "sheet 农户",
        7,
        {"code": "H 1", "village_code": "V1", "head_name": "", "size": "九", "status": "rich"},
    )
    assert clean is None
    assert {(e.source, e.row, e.column) for e in errors} == {
        ("sheet 农户", 7, "code"),
        ("sheet 农户", 7, "head_name"),
        ("sheet 农户", 7, "size"),
        ("sheet 农户", 7, "status"),
    }
    assert str(errors[0]).startswith("sheet 农户, row 7, column ")


def test_blank_optional_cell_clears_and_absent_column_is_left_out() -> None:
    clean, errors = _validate(
        "cadres", "c", 2, {"code": "C1", "name": "n", "unit_code": "U", "phone": ""}
    )
    assert errors == [] and clean == {"code": "C1", "name": "n", "unit_code": "U", "phone": None}


def test_decode_csv_bytes_utf8_bom_and_gb18030() -> None:
    text = "编码,名称\nT06,适中乡\n"
    assert decode_csv_bytes(b"\xef\xbb\xbf" + text.encode()) == text
    assert decode_csv_bytes(text.encode()) == text
    assert decode_csv_bytes(text.encode("gb18030")) == text


def test_read_examples_folder() -> None:
    tables, skipped = read_roster_path(EXAMPLES)
    by_name = {t.table: t for t in tables}
    assert set(by_name) == {
        "townships", "villages", "units", "cadres", "households", "members", "pairings",
        "unit_villages",
    }  # fmt: skip
    assert skipped == []
    cadres = by_name["cadres"]
    assert cadres.headers["code"] == "编码"  # Chinese headers, BOM stripped
    assert cadres.rows[0][0] == 2  # Excel row numbers: header is row 1


def test_prepare_reports_duplicates_and_missing_columns(tmp_path: Path) -> None:
    (tmp_path / "townships.csv").write_text("code,name\nT1,甲\nT1,乙\nT2,\n", encoding="utf-8")
    (tmp_path / "villages.csv").write_text("code,name\nV1,村\n", encoding="utf-8")
    tables, _ = read_roster_path(tmp_path)
    with pytest.raises(RosterImportError) as caught:
        prepare_tables(tables)
    assert set(caught.value.errors) == {
        RowError("townships.csv", 3, "code", "duplicate code 'T1' (first in row 2)"),
        RowError("townships.csv", 4, "name", "required value is blank"),
        RowError("villages.csv", 1, "township_code", "required column is missing"),
    }


def test_same_table_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "townships.csv").write_text("code,name\nT1,甲\n", encoding="utf-8")
    (tmp_path / "乡镇.csv").write_text("code,name\nT2,乙\n", encoding="utf-8")
    with pytest.raises(RosterImportError, match="also given"):
        read_roster_path(tmp_path)


def test_errors_name_the_column_as_the_file_writes_it() -> None:
    _, errors = _validate(
        "households",
        "sheet 农户",
        5,
        {"code": "H1", "village_code": "V1", "head_name": " "},
        {"code": "户编码", "village_code": "村编码", "head_name": "户主姓名"},
    )
    assert errors == [RowError("sheet 农户", 5, "户主姓名", "required value is blank")]
    assert str(errors[0]) == "sheet 农户, row 5, column 户主姓名: required value is blank"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("编码,名称\n".encode("utf-16"), "UTF-16"),
        ("编码,名称\n".encode("utf-32"), "UTF-32"),
        ("code,name\nT1,x\n".encode("utf-16-le"), "not text"),
        (b"\xef\xbb\xbfcode,name\nT1,\xb6\xb0\n", "begins as UTF-8 but byte 0xB6"),
        ("code,name\nT1,José Müller\n".encode("latin-1"), "neither UTF-8 nor GB18030"),
        ("code,name\nT1,Hélène\n".encode("latin-1"), "2 of its 2 Chinese characters are rare"),
        ("code,name\nT1,Renée d’Arc\n".encode("cp1252"), "outside GB2312"),
        ("code,name\nT1,棟川鎮\n".encode("big5"), "characters a Chinese roster does not"),
        ("戶主,中文\n".encode("big5"), "(め U+3081"),
        ("code,name\nT1,東京都\n".encode("shift_jis"), "3 of its 3 Chinese characters are rare"),
        ("code,name\nT1,さくら\n".encode("shift_jis"), "outside GB2312 (偝 U+505D"),
    ],
)
def test_other_encodings_are_refused_not_guessed(data: bytes, reason: str) -> None:
    with pytest.raises(UnreadableText) as refused:
        decode_csv_bytes(data)
    assert reason in str(refused.value)
    assert str(refused.value).startswith("cannot read the file as text: ")
    assert "accepted encodings: UTF-8 (with or without BOM) or GB18030" in str(refused.value)


def test_gb18030_with_a_few_rare_characters_and_punctuation_is_read() -> None:
    text = "编码,名称,备注\nH1,王喆,“低保”户（含①号院）—— 李堃、张三、李四、王五\n"
    assert decode_csv_bytes(text.encode("gb18030")) == text


@pytest.mark.parametrize(
    ("value", "control"),
    [
        ("栋川\x00镇", "U+0000"),
        ("\x1b[31m", "U+001B"),
        ("李\x0b正荣", "U+000B"),
        ("\x00", "U+0000"),
    ],
)
def test_control_characters_in_a_cell_are_refused(value: str, control: str) -> None:
    clean, errors = _validate("townships", "乡镇.csv", 4, {"code": "T1", "name": value},
                              {"code": "编码", "name": "名称"})  # fmt: skip
    assert clean is None
    assert [str(e) for e in errors] == [
        f"乡镇.csv, row 4, column 名称: control character {control} in the cell (retype the value)"
    ]


def test_tab_and_newline_in_a_cell_are_not_control_characters() -> None:
    clean, errors = _validate("townships", "t", 2, {"code": "T1", "name": " 适中\t乡\r\n"})
    assert errors == [] and clean == {"code": "T1", "name": "适中\t乡"}


def test_codes_are_kept_in_upper_case_so_typed_codes_find_them() -> None:
    """/visit h0601005 finds H0601005: the bot upper-cases typed codes, so the roster must
    keep every code (and every reference to one) in upper case too."""
    values, errors = _validate(
        "households",
        "households.csv",
        2,
        {"code": "h0601005", "village_code": "v0601", "head_name": "毕文华"},
    )
    assert errors == []
    assert values is not None
    assert (values["code"], values["village_code"]) == ("H0601005", "V0601")
