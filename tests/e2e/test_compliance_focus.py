"""Supervisors narrow /compliance to a unit, township or cadre; the figures agree with the
machine-readable report on the same database and with a hand count."""

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.cli.reports import compliance_json
from services.reports.compliance import county_compliance
from storage.models import LedgerReview
from tests.e2e.conftest import CADRE_TG, HEAD_TG, OTHER_CADRE_TG, SUPERVISOR_TG, Harness
from ui.refusals import REFUSALS

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def county(harness: Harness) -> Harness:
    """Ledger reviews by hand (households have no members, so needs + review decide):

    H002 (C1, 栋川镇) reviewed in the season with needs: complete.
    H003 (C1, 光禄镇) reviewed before the season opened (08-20): not complete.
    H005 (C2, 栋川镇) reviewed in the season but needs empty: not complete.
    H007 (C3, 栋川镇, 栋川中心校) reviewed in the season with needs: complete.
    Ledgers: county 2/8; 教育股 (C1 H001-H004, C2 H005-H006) 1/6; 栋川中心校 1/2;
    栋川镇 (H001 H002 H005 H007 H008) 2/5; 光禄镇 (H003 H004 H006) 0/3.
    Visits: C1 H001 and H003, C2 H005 -> 栋川镇 2/5, 光禄镇 1/3, county 3/8.
    """
    ids = await harness.household_ids()
    async with harness.app.sessionmaker() as session, session.begin():
        in_season = datetime(2026, 10, 8, tzinfo=UTC)
        session.add_all(
            [
                LedgerReview(
                    household_id=ids["H002"], year=2026, needs="无", reviewed_at=in_season
                ),
                LedgerReview(
                    household_id=ids["H003"],
                    year=2026,
                    needs="修房",
                    reviewed_at=datetime(2026, 8, 20, tzinfo=UTC),
                ),
                LedgerReview(
                    household_id=ids["H005"], year=2026, needs=None, reviewed_at=in_season
                ),
                LedgerReview(
                    household_id=ids["H007"], year=2026, needs="无", reviewed_at=in_season
                ),
            ]
        )
    await harness.register_all(
        {CADRE_TG: "C1", OTHER_CADRE_TG: "C2", HEAD_TG: "H1", SUPERVISOR_TG: "S1"}
    )
    await harness.say_each(CADRE_TG, "/visit H001 2026-11-20", "/visit H003 2026-11-21")
    await harness.say(OTHER_CADRE_TG, "/visit H005")
    return harness


def _ledger_line(harness: Harness, covered: int, assigned: int, percent: str) -> str:
    return harness.zh(
        "Ledgers complete for {year}: {covered} of {assigned} ({percent})",
        year=2026,
        covered=covered,
        assigned=assigned,
        percent=percent,
    )


async def test_county_ledgers_by_unit_and_township_agree_with_the_report(county: Harness) -> None:
    [reply] = await county.say(SUPERVISOR_TG, "/compliance")
    text = reply["text"]
    assert _ledger_line(county, 2, 8, "25%") in text
    ledger_part = text[text.index(_ledger_line(county, 2, 8, "25%")) :]
    for line in (
        "教育股（JYG）：1/6（17%）",
        "栋川中心校（CS1）：1/2（50%）",
        "栋川镇（T1）：2/5（40%）",
        "光禄镇（T2）：0/3（0%）",
    ):
        assert line in ledger_part

    async with county.app.sessionmaker() as session:
        report = json.loads(
            compliance_json(await county_compliance(session, None, county.clock, SHANGHAI))
        )
    ledgers = report["ledgers"]
    assert ledgers["year"] == 2026
    assert ledgers["total"] == {"assigned": 8, "covered": 2}
    assert {r["unit_code"]: (r["assigned"], r["covered"]) for r in ledgers["by_unit"]} == {
        "JYG": (6, 1),
        "CS1": (2, 1),
    }
    assert {r["township_code"]: (r["assigned"], r["covered"]) for r in ledgers["by_township"]} == {
        "T1": (5, 2),
        "T2": (3, 0),
    }
    assert {r["cadre_code"]: (r["assigned"], r["covered"]) for r in ledgers["by_cadre"]} == {
        "C1": (4, 1),
        "C2": (2, 0),
        "C3": (2, 1),
    }
    assert report["total"] == {"assigned": 8, "covered": 3}


async def test_supervisor_narrows_to_a_township(county: Harness) -> None:
    [reply] = await county.say(SUPERVISOR_TG, "/compliance 2026-Q4 T2")
    text = reply["text"]
    assert (
        county.zh(
            "<b>Visit coverage of {name}, {period}</b>",
            name="光禄镇（T2）",
            period="2026年第四季度",
        )
        .replace("<b>", "")
        .replace("</b>", "")
        in text
    )
    assert (
        county.zh(
            "Households visited: {covered} of {assigned} ({percent})",
            covered=1,
            assigned=3,
            percent="33%",
        )
        in text
    )
    assert _ledger_line(county, 0, 3, "0%") in text
    assert "栋川镇" not in text


async def test_supervisor_narrows_to_a_unit_then_a_cadre(county: Harness) -> None:
    [unit] = await county.say(SUPERVISOR_TG, "/compliance JYG 2026-Q4")
    assert "教育股（JYG）" in unit["text"]
    assert "李明（C1）：2/4（50%）" in unit["text"] and "王芳（C2）：1/2（50%）" in unit["text"]
    assert "赵强" not in unit["text"]
    [cadre] = await county.say(SUPERVISOR_TG, "/compliance C2")
    assert "王芳（C2）" in cadre["text"]
    assert (
        county.zh(
            "Households visited: {covered} of {assigned} ({percent})",
            covered=1,
            assigned=2,
            percent="50%",
        )
        in cadre["text"]
    )
    assert _ledger_line(county, 0, 2, "0%") in cadre["text"]


async def test_unit_head_may_look_at_own_cadres_only(county: Harness) -> None:
    [own] = await county.say(HEAD_TG, "/compliance C1")
    assert "李明（C1）" in own["text"]
    assert _ledger_line(county, 1, 4, "25%") in own["text"]
    [other] = await county.say(HEAD_TG, "/compliance C3")
    assert other["text"] == county.zh(REFUSALS["compliance_focus_forbidden"], code="C3")
    [township] = await county.say(HEAD_TG, "/compliance T1")
    assert township["text"] == county.zh(REFUSALS["compliance_focus_forbidden"], code="T1")


async def test_a_cadre_may_not_narrow_and_unknown_codes_are_named(county: Harness) -> None:
    [reply] = await county.say(CADRE_TG, "/compliance C2")
    assert reply["text"] == county.zh(REFUSALS["compliance_focus_forbidden"], code="C2")
    [reply] = await county.say(SUPERVISOR_TG, "/compliance NOPE")
    assert reply["text"] == county.zh(REFUSALS["compliance_unknown_code"], code="NOPE")
    [reply] = await county.say(SUPERVISOR_TG, "/compliance 2026-Q9 T1")
    assert reply["text"] == county.zh(REFUSALS["bad_quarter"], text="2026-Q9")


async def test_in_english(county: Harness) -> None:
    await county.say(SUPERVISOR_TG, "/lang en")
    [reply] = await county.say(SUPERVISOR_TG, "/compliance T1")
    text = reply["text"]
    assert "Visit coverage of 栋川镇 (T1), Q4 2026" in text
    assert "Households visited: 2 of 5 (40%)" in text
    assert "Ledgers complete for 2026: 2 of 5 (40%)" in text


async def test_a_quarter_not_yet_started_is_refused_not_shown_as_zeros(county: Harness) -> None:
    [reply] = await county.say(SUPERVISOR_TG, "/compliance 2027-Q1")
    assert reply["text"] == county.zh(
        REFUSALS["compliance_future_quarter"], quarter="2027年第一季度"
    )
    assert "尚未开始" in reply["text"]
    [reply] = await county.say(SUPERVISOR_TG, "/compliance 2027-Q1 T1")
    assert "尚未开始" in reply["text"]


async def test_county_lists_name_the_codes_to_narrow_by(county: Harness) -> None:
    [reply] = await county.say(SUPERVISOR_TG, "/compliance 2026-Q4")
    lines = reply["text"].splitlines()
    assert "教育股（JYG）：3/6（50%）" in lines
    assert "光禄镇（T2）：1/3（33%）" in lines
    [head] = await county.say(HEAD_TG, "/compliance")
    assert "李明（C1）：2/4（50%）" in head["text"].splitlines()
