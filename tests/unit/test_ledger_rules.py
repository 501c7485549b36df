"""The ledger completeness rule: ages on September 1, each missing reason, the season."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from domain.errors import InputRefused
from domain.ledgers import (
    LedgerFacts,
    MemberFacts,
    age_on,
    ledger_missing,
    ledger_year,
    of_compulsory_age,
    parse_aid,
    parse_month_day,
    parse_school_grade,
    schooling_token,
    schooling_values,
    season_start,
)
from domain.roster import MEMBER_STATUS_VALUES, parse_enum

TZ = ZoneInfo("Asia/Shanghai")
OPENS_AT = season_start(date(2026, 9, 1), TZ)
REVIEWED = datetime(2026, 10, 1, tzinfo=UTC)


def facts(
    *members: MemberFacts, needs: str | None = "无", reviewed: datetime | None = REVIEWED
) -> LedgerFacts:
    return LedgerFacts(members=members, needs=needs, reviewed_at=reviewed)


def test_age_counts_whole_years_on_the_day() -> None:
    assert age_on(date(2010, 9, 1), date(2026, 9, 1)) == 16
    assert age_on(date(2010, 9, 2), date(2026, 9, 1)) == 15
    assert age_on(date(2012, 2, 29), date(2026, 2, 28)) == 13


@pytest.mark.parametrize(
    ("birth", "school_age"),
    [
        (date(2020, 9, 1), True),  # 6 on Sept 1, 2026
        (date(2020, 9, 2), False),  # 5 on Sept 1
        (date(2010, 9, 2), True),  # 15 on Sept 1
        (date(2010, 9, 1), False),  # 16 on Sept 1
    ],
)
def test_compulsory_age_is_6_to_15_on_september_1(birth: date, school_age: bool) -> None:
    assert of_compulsory_age(birth, 2026) is school_age


def test_complete_ledger_has_no_missing_reason() -> None:
    ledger = facts(
        MemberFacts("小明", date(2015, 3, 1), "enrolled", "primary", "栋川小学", "五年级"),
        MemberFacts("小刚", date(2010, 5, 5), "graduated", destination="vocational"),
        MemberFacts("小丽", date(2012, 1, 1), "suspected_dropout"),
        MemberFacts("老张", date(1970, 1, 1)),
        MemberFacts("小宝", date(2023, 1, 1)),
    )
    assert ledger_missing(ledger, 2026, OPENS_AT) == ()


@pytest.mark.parametrize(
    ("member", "missing"),
    [
        (MemberFacts("甲", date(2014, 1, 1)), ("status:甲",)),
        (MemberFacts("甲"), ("birth_date:甲",)),
        (MemberFacts("甲", status="enrolled", school="某校", grade="一年级"), ("stage:甲",)),
        # Exactly what is missing: the grade alone, the school alone, or both.
        (MemberFacts("甲", date(2014, 1, 1), "enrolled", "primary", "某校"), ("grade:甲",)),
        (
            MemberFacts("甲", date(2014, 1, 1), "enrolled", "primary", grade="三年级"),
            ("school:甲",),
        ),
        (MemberFacts("甲", date(2014, 1, 1), "enrolled", "primary"), ("school:甲", "grade:甲")),
        (MemberFacts("甲", date(2008, 1, 1), "graduated"), ("destination:甲",)),
        # An enrolled 17-year-old still needs school and grade: the rule follows the status.
        (MemberFacts("甲", date(2009, 1, 1), "enrolled", "senior"), ("school:甲", "grade:甲")),
        # Preschool has no grades: a 5-year-old in kindergarten needs only the kindergarten.
        (MemberFacts("甲", date(2021, 3, 1), "enrolled", "preschool", "栋川幼儿园"), ()),
        (MemberFacts("甲", date(2021, 3, 1), "enrolled", "preschool"), ("school:甲",)),
    ],
)
def test_each_member_reason(member: MemberFacts, missing: tuple[str, ...]) -> None:
    assert ledger_missing(facts(member), 2026, OPENS_AT) == missing


def test_needs_and_review_reasons() -> None:
    assert ledger_missing(facts(needs=None), 2026, OPENS_AT) == ("needs",)
    assert ledger_missing(facts(needs="  "), 2026, OPENS_AT) == ("needs",)
    assert ledger_missing(facts(reviewed=None), 2026, OPENS_AT) == ("review",)


def test_review_must_be_at_or_after_the_season_opened_in_the_plan_zone() -> None:
    assert season_start(date(2026, 9, 1), TZ) == datetime(2026, 8, 31, 16, 0, tzinfo=UTC)
    before = datetime(2026, 8, 31, 15, 59, tzinfo=UTC)
    assert ledger_missing(facts(reviewed=before), 2026, OPENS_AT) == ("review",)
    assert ledger_missing(facts(reviewed=OPENS_AT), 2026, OPENS_AT) == ()


def test_ledger_year_is_the_latest_season_opened() -> None:
    assert ledger_year(date(2026, 11, 28), (9, 1)) == 2026
    assert ledger_year(date(2026, 9, 1), (9, 1)) == 2026
    assert ledger_year(date(2026, 8, 31), (9, 1)) == 2025
    assert ledger_year(date(2027, 1, 5), (9, 1)) == 2026


def test_month_day_setting() -> None:
    assert parse_month_day("09-01") == (9, 1)
    assert parse_month_day("8-15") == (8, 15)
    for bad in ("0901", "13-01", "02-29", "09-31"):
        with pytest.raises(ValueError):
            parse_month_day(bad)


def test_school_and_grade_answers() -> None:
    assert parse_school_grade("栋川小学 四年级") == ("栋川小学", "四年级")
    assert parse_school_grade("栋川小学，四年级") == ("栋川小学", "四年级")
    assert parse_school_grade("Dongchuan Primary School grade 4") == (
        "Dongchuan Primary School grade",
        "4",
    )
    with pytest.raises(InputRefused) as refused:
        parse_school_grade("栋川小学")
    assert refused.value.reason == "ledger_school_grade_format"


def test_preschool_takes_the_kindergarten_alone_and_no_grade() -> None:
    assert schooling_values("enrolled", stage="preschool", school_grade=" 栋川 幼儿园 ") == {
        "status": "enrolled",
        "stage": "preschool",
        "school": "栋川 幼儿园",
        "grade": None,
    }
    # Other stages still take the school and the grade.
    assert schooling_values("enrolled", stage="primary", school_grade="栋川小学 四年级") == {
        "status": "enrolled",
        "stage": "primary",
        "school": "栋川小学",
        "grade": "四年级",
    }


@pytest.mark.parametrize("text", ["abc", "0", "-5", "1.234", "1000000", "NaN", "inf"])
def test_bad_amounts_are_refused(text: str) -> None:
    with pytest.raises(InputRefused) as refused:
        parse_aid(text)
    assert refused.value.reason == "ledger_bad_amount"


def test_amount_with_note() -> None:
    assert parse_aid("1,500.50元 秋季学期") == (Decimal("1500.50"), "秋季学期")
    assert parse_aid("800") == (Decimal("800"), None)


def test_suspected_dropout_is_a_member_status() -> None:
    assert parse_enum(MEMBER_STATUS_VALUES, "疑似辍学") == "suspected_dropout"
    assert parse_enum(MEMBER_STATUS_VALUES, "suspected_dropout") == "suspected_dropout"


def test_a_graduate_may_have_gone_to_university() -> None:
    assert schooling_values("graduated", destination="university") == {
        "status": "graduated",
        "destination": "university",
    }


def test_the_schooling_token_changes_with_the_record() -> None:
    before = MemberFacts("毕明", status="graduated")
    after = MemberFacts("毕明", status="graduated", destination="work")
    assert schooling_token(before) == schooling_token(MemberFacts("毕明", status="graduated"))
    assert schooling_token(before) != schooling_token(after)
    assert 0 <= schooling_token(after) < 1_000_000
