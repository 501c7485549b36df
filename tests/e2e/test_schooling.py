"""/schooling end to end: rates for supervisors and central schools, refused for others."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from storage.models import Household, Member, Township, Village
from tests.e2e.conftest import CADRE_TG, HEAD_TG, SUPERVISOR_TG, Harness
from tests.e2e.test_field_work_in_english import CJK, DATA
from ui.refusals import REFUSALS

C3_TG = 1005  # 赵强, a cadre of 栋川中心校 (central school of 栋川镇)


def assert_english(message: dict[str, Any]) -> None:
    """No Chinese left once the roster's own names are taken out."""
    text = message["text"]
    for name in (*DATA, "小红", "小刚"):
        text = text.replace(name, "")
    assert not CJK.search(text), text


def born(age: int) -> date:
    """A birth date giving `age` on 2026-09-01 (the clock is 2026-11-28: school year 2026)."""
    return date(2026 - age, 3, 1)


CHILDREN = {
    "H001": [("小明", born(7), "enrolled"), ("小红", born(9), "suspected_dropout")],  # 大村
    "H002": [("小刚", born(13), "dropout"), ("小强", born(12), "enrolled")],  # 大村
    "H003": [("小丽", born(8), "enrolled"), ("老人", born(70), None)],  # 小村 (光禄镇)
}


async def _children(harness: Harness) -> None:
    """Hand count, school year 2026 (ages on 2026-09-01):

    county primary 小明, 小红 (suspected: in school), 小丽 = 3/3 in school, 0 dropouts;
    county junior 小强 enrolled, 小刚 dropout = 1/2 in school (50%), dropout 1/2 (50%).
    栋川镇 = 大村: primary 2/2, junior as the county. 光禄镇 = 小村: primary 1/1, no junior.
    """
    async with await harness.session() as session, session.begin():
        households = {
            h.code: h.id
            for h in (await session.execute(select(Household))).scalars()
            if h.code in CHILDREN
        }
        session.add_all(
            Member(household_id=households[code], name=name, birth_date=birth, status=status)
            for code, members in CHILDREN.items()
            for name, birth, status in members
        )


async def _schooling(
    harness: Harness, user_id: int, cadre_code: str, language: str = "zh"
) -> tuple[str, list[str]]:
    """The children added and the cadre registered: the /schooling reply, whole and by line.

    A reply in English is checked to hold no Chinese but the roster's names.
    """
    await _children(harness)
    await harness.register(user_id, cadre_code, language=language)
    [reply] = await harness.say(user_id, "/schooling")
    if language == "en":
        assert_english(reply)
    return reply["text"], reply["text"].splitlines()


async def test_supervisor_sees_the_county_in_chinese(harness: Harness) -> None:
    text, lines = await _schooling(harness, SUPERVISOR_TG, "S1")
    assert lines[0] == "控辍保学 · 全县 · 2026-2027 学年（截至2026年11月28日）"
    assert lines[1] == "按 9 月 1 日年龄定应读学段：6-11 岁小学，12-14 岁初中。"
    assert lines[2] == "小学：入学率 100.00%（3/3），辍学率 0.00%（0/3）"
    assert lines[3] == "初中：入学率 50.00%（1/2），辍学率 50.00%（1/2） ⚠️"
    assert lines[4] == "疑似辍学 1 人（核实前仍计为在校）；免学 0 人（不计入）"
    townships = lines[lines.index("按乡镇") + 1 : lines.index("未达标") - 1]
    assert townships == [
        "栋川镇",
        "小学：入学率 100.00%（2/2），辍学率 0.00%（0/2）",
        "初中：入学率 50.00%（1/2），辍学率 50.00%（1/2） ⚠️",
        "光禄镇",
        "小学：入学率 100.00%（1/1），辍学率 0.00%（0/1）",
        "初中：无该年龄段儿童",
    ]
    below = lines[lines.index("未达标") + 1 :]
    assert below == [
        "标准：小学入学率 ≥ 99.5%，辍学率 ≤ 0.6%",
        "标准：初中入学率 ≥ 99%，辍学率 ≤ 1.8%",
        "全县：初中入学率 50.00%，低于 99%",
        "全县：初中辍学率 50.00%，高于 1.8%",
        "栋川镇：初中入学率 50.00%，低于 99%",
        "栋川镇：初中辍学率 50.00%，高于 1.8%",
        "栋川镇 大村：初中入学率 50.00%，低于 99%",
        "栋川镇 大村：初中辍学率 50.00%，高于 1.8%",
    ]
    assert "小红" not in text  # the county view counts; names are the school's


async def test_central_school_sees_its_township_with_names_in_english(harness: Harness) -> None:
    text, lines = await _schooling(harness, C3_TG, "C3", language="en")
    assert lines[0] == "Schooling, 栋川镇, school year 2026-2027 (as of 2026-11-28)"
    assert "Primary: enrolled 100.00% (2/2), dropout 0.00% (0/2)" in lines
    assert "Junior middle: enrolled 50.00% (1/2), dropout 50.00% (1/2) ⚠️" in lines
    assert "光禄镇" not in text  # another township
    assert "栋川镇 大村: Junior middle dropout 50.00%, above 1.8%" in lines
    assert [line for line in lines if line][-4:] == [
        "Suspected dropouts: 1",
        "大村 H001 小红, 9 years (Primary)",
        "Dropouts: 1",
        "大村 H002 小刚, 13 years (Junior middle)",
    ]


async def test_supervisor_in_english(harness: Harness) -> None:
    _text, lines = await _schooling(harness, SUPERVISOR_TG, "S1", language="en")
    assert lines[0] == "Schooling, county, school year 2026-2027 (as of 2026-11-28)"
    assert "county: Junior middle enrolment 50.00%, below 99%" in lines


async def test_refused_for_a_plain_cadre_and_a_unit_head(harness: Harness) -> None:
    await _children(harness)
    await harness.register(CADRE_TG, "C1")
    await harness.register(HEAD_TG, "H1", language="en")
    [reply] = await harness.say(CADRE_TG, "/schooling")
    assert reply["text"] == harness.zh(REFUSALS["schooling_not_allowed"])
    assert "规则" in reply["text"]
    [reply] = await harness.say(HEAD_TG, "/schooling")
    assert reply["text"] == harness.en(REFUSALS["schooling_not_allowed"])
    await harness.register(SUPERVISOR_TG, "S1")
    [reply] = await harness.say(SUPERVISOR_TG, "/schooling 2025")
    assert reply["text"] == harness.zh(REFUSALS["schooling_no_arguments"])


async def test_a_long_report_is_split_within_telegram_limits(harness: Harness) -> None:
    """80 villages with a dropout each: the central school's reply needs several messages."""
    async with await harness.session() as session, session.begin():
        east = (await session.execute(select(Township).where(Township.code == "T1"))).scalar_one()
        for n in range(80):
            village = Village(code=f"W{n:02d}", name=f"第{n:02d}村", township_id=east.id, poor=True)
            session.add(village)
            await session.flush()
            household = Household(code=f"HW{n:02d}", village_id=village.id, head_name="户主")
            session.add(household)
            await session.flush()
            session.add(
                Member(household_id=household.id, name="孩子", birth_date=born(8), status="dropout")
            )
    await harness.register(C3_TG, "C3")
    replies = await harness.say(C3_TG, "/schooling", count=3)
    assert all(len(r["text"]) <= 4096 for r in replies)
    text = "\n".join(r["text"] for r in replies)
    assert "第00村" in text and "第79村" in text
    assert "…… 另有 50 人" in text  # 30 named, the rest counted


async def test_postgresql_counts_the_same(pg_harness: Harness) -> None:
    _text, lines = await _schooling(pg_harness, SUPERVISOR_TG, "S1")
    assert lines[2:4] == [
        "小学：入学率 100.00%（3/3），辍学率 0.00%（0/3）",
        "初中：入学率 50.00%（1/2），辍学率 50.00%（1/2） ⚠️",
    ]
