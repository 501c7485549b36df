"""The CLI's JSON writer: the very text of json.dumps(indent=2, ensure_ascii=False), faster."""

from __future__ import annotations

import json
from enum import IntEnum, StrEnum

import pytest

from bot.cli.output import json_text


class Kind(StrEnum):
    HOUSEHOLD = "household"


class Level(IntEnum):
    ONE = 1


@pytest.mark.parametrize(
    "payload",
    [
        {},
        [],
        "栋川镇",
        0,
        {"period": "2026-Q4", "total": {"assigned": 3, "covered": 1}, "by_unit": []},
        {"rows": [{"code": "T1", "name": '光禄镇\n"引号"', "rate": 99.5, "ok": True}]},
        {"nested": [[1, 2], [], {}, (3, 4), None, False, -7, 1e-7, 12345678901234567890]},
        {"enum": Kind.HOUSEHOLD, "level": Level.ONE, "tab\t": "\u2028\x00"},
        {1: "int keys", "2": ["as", {"the": "standard library"}]},
        [{"a": {"b": {"c": [{"d": []}]}}}],
    ],
)
def test_json_text_is_the_standard_librarys_text(payload: object) -> None:
    assert json_text(payload) == json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
