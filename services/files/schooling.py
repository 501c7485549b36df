"""Schooling workbooks (openpyxl): the rates, and the ministry's three lists per township.

Headers are Chinese whatever the reader's language: these are the forms the education
bureau files upwards (适龄儿童、疑似辍学、辍学 名册). CPU work: async callers use a thread.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from services.files.sheets import add_sheet, add_streamed_sheet
from services.reports.schooling import ListedChild, RateRecord, TownshipLists

STAGE_ZH = {
    "preschool": "学前",
    "primary": "小学",
    "junior": "初中",
    "senior": "高中",
    "vocational": "中职",
    "university": "大学",
}
STATUS_ZH = {
    "enrolled": "在校",
    "graduated": "已毕业",
    "dropout": "辍学",
    "suspected_dropout": "疑似辍学",
    "suspended": "休学",
    "exempted": "免学（缓学）",
    "not_school_age": "未到学龄",
}
SEX_ZH = {"m": "男", "f": "女"}
LEVEL_ZH = {"county": "全县", "township": "乡镇", "village": "村"}
INDICATOR_ZH = {"enrolment": "入学率", "dropout": "辍学率"}

SHEET_CHILDREN = "适龄儿童"
SHEET_SUSPECTED = "疑似辍学"
SHEET_DROPOUTS = "辍学"
LIST_HEADER = [
    "序号",
    "乡镇",
    "村",
    "户编号",
    "户主",
    "姓名",
    "性别",
    "出生日期",
    "9月1日年龄",
    "应读学段",
    "就读学段",
    "就读学校",
    "年级",
    "状态",
    "辍学原因",
    "辍学时间",
]
# The dropout-case reasons (domain.dropouts.REASONS) as the county's forms name them.
REASON_ZH = {
    "poverty": "贫困",
    "learning": "学习困难",
    "work": "外出务工",
    "marriage": "婚嫁",
    "illness": "疾病或残疾",
    "family": "家庭原因",
    "distance": "路途遥远",
    "other": "其他",
}
RATES_HEADER = [
    "层级",
    "乡镇编号",
    "乡镇",
    "村编号",
    "村",
    "学段",
    "适龄儿童（不含免学）",
    "在校（含疑似辍学）",
    "疑似辍学",
    "辍学",
    "免学",
    "其他未在校",
    "入学率",
    "辍学率",
    "入学率标准（≥）",
    "辍学率标准（≤）",
    "未达标指标",
]
PERCENT = "0.00%"


def _list_rows(children: tuple[ListedChild, ...]) -> list[list[Any]]:
    return [
        [
            number,
            c.row.township_name,
            c.row.village_name,
            c.row.household_code,
            c.row.head_name,
            c.row.name,
            SEX_ZH.get(c.row.sex or "", c.row.sex or ""),
            c.row.birth_date,
            c.age,
            STAGE_ZH[c.expected_stage],
            STAGE_ZH.get(c.row.stage or "", c.row.stage or ""),
            c.row.school or "",
            c.row.grade or "",
            STATUS_ZH.get(c.row.status or "", c.row.status or "未填"),
            REASON_ZH.get(c.row.case_reason or "", c.row.case_reason or ""),
            c.row.case_since,
        ]
        for number, c in enumerate(children, 1)
    ]


def lists_workbook(lists: TownshipLists) -> bytes:
    """One township's three lists: children of school age, suspected dropouts, dropouts."""
    # Write-only: each row goes to the file as it is added (a township's children are
    # thousands of rows; a full workbook keeps an object per cell).
    workbook = Workbook(write_only=True)
    dates = dict.fromkeys((8, len(LIST_HEADER)), "yyyy-mm-dd")
    for title, children in (
        (SHEET_CHILDREN, lists.children),
        (SHEET_SUSPECTED, lists.suspected),
        (SHEET_DROPOUTS, lists.dropouts),
    ):
        add_streamed_sheet(
            workbook,
            title,
            LIST_HEADER,
            _list_rows(children),
            widest=40,
            per_char=1.8,
            number_formats=dates,
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fraction(percent: Decimal | None) -> float | None:
    return None if percent is None else float(percent / 100)


def rates_workbook(records: list[RateRecord], school_year: int) -> bytes:
    """Rates per county, township and village and stage; a second sheet of the shortfalls."""
    rows = [
        [
            LEVEL_ZH[r.level],
            r.township_code,
            r.township,
            r.village_code,
            r.village,
            STAGE_ZH[r.stage],
            r.children,
            r.in_school,
            r.suspected,
            r.dropouts,
            r.exempted,
            r.other,
            _fraction(r.enrolment_percent),
            _fraction(r.dropout_percent),
            _fraction(r.enrolment_min),
            _fraction(r.dropout_max),
            "、".join(INDICATOR_ZH[i] for i in r.below),
        ]
        for r in records
    ]
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, chosen in (
        (f"{school_year}学年入学率辍学率", rows),
        ("未达标", [row for row, r in zip(rows, records, strict=True) if r.below]),
    ):
        sheet = add_sheet(workbook, title, RATES_HEADER, chosen, widest=40, per_char=1.8)
        for line in sheet.iter_rows(min_row=2, min_col=13, max_col=16):
            for cell in line:
                cell.number_format = PERCENT
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
