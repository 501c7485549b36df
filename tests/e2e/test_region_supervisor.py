"""A region supervisor, on no county's roster, writes to a county bot of their region:
/compliance answers with the region's figures, the exact sums of each county's own report;
a supervisor of another region is a stranger there, as is anyone else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest

from domain.periods import Quarter
from services.reports.compliance import county_compliance
from storage.tenancy import register_region_supervisor
from tests.e2e.conftest import CADRE_TG, NOW, OTHER_CADRE_TG
from tests.e2e.counties import A, B, Counties, polling_counties
from ui.texts import NOT_ON_ROSTER

REGION_TG, ELSEWHERE_TG = 9001, 9002
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def counties() -> AsyncIterator[Counties]:
    async with polling_counties() as running:
        yield running


async def _own_totals(counties: Counties, slug: str) -> tuple[int, int]:
    county = counties.county(slug)
    async with county.sessionmaker() as session:
        report = await county_compliance(session, Quarter(2026, 4), counties.clock, SHANGHAI)
    return report.total.covered, report.total.assigned


async def test_a_region_supervisor_sees_the_sum_of_the_counties(counties: Counties) -> None:
    engine = counties.running.engine
    await register_region_supervisor(
        engine, telegram_id=REGION_TG, name="李督查", region="云南省/楚雄州", now=NOW
    )
    await register_region_supervisor(
        engine, telegram_id=ELSEWHERE_TG, name="王督查", region="云南省/昭通市", now=NOW
    )
    for slug in (A, B):
        counties.apis[slug].user(REGION_TG, "Li", language_code="en")
        counties.apis[slug].user(ELSEWHERE_TG, "Wang", language_code="en")
    await counties.register(A, CADRE_TG, "C1")
    await counties.register(A, OTHER_CADRE_TG, "C2")
    await counties.register(B, CADRE_TG, "C1")
    await counties.say(A, CADRE_TG, "/visit H001 2026-11-20")
    await counties.say(A, OTHER_CADRE_TG, "/visit H005 2026-11-20")
    await counties.say(B, CADRE_TG, "/visit H002 2026-11-21")

    own = {slug: await _own_totals(counties, slug) for slug in (A, B)}
    covered = own[A][0] + own[B][0]
    assigned = own[A][1] + own[B][1]
    assert own[A][0] == 2 and own[B][0] == 1  # the visits above, each in its own county

    [reply] = await counties.say(B, REGION_TG, "/compliance 2026-Q4")
    text = reply["text"]
    assert "云南省/楚雄州" in text
    assert f"Households visited: {covered} of {assigned}" in text
    # Each county's own figures, weakest first.
    assert text.index(f"乙县 (yi): {own[B][0]}/{own[B][1]}") < text.index(
        f"甲县 (jia): {own[A][0]}/{own[A][1]}"
    )
    # The same answer on the other county's bot: the region, not the county written to.
    [again] = await counties.say(A, REGION_TG, "/compliance 2026-Q4")
    assert again["text"] == text

    [hello] = await counties.say(A, REGION_TG, "/start")
    assert "You read the counties of 云南省/楚雄州" in hello["text"]
    assert "/compliance" in hello["text"]

    # A supervisor of another region is nobody here; so is a plain stranger.
    not_on_roster = counties.county(A).catalogs.translator("en")(NOT_ON_ROSTER)
    [refused] = await counties.say(A, ELSEWHERE_TG, "/compliance 2026-Q4")
    assert refused["text"] == not_on_roster
    # An invite still works for a region supervisor: in that county they are then its cadre
    # (their own figures), elsewhere in the region still its supervisor.
    welcome = await counties.register(A, REGION_TG, "C3")
    assert "You read the counties" not in welcome["text"]  # registered, not the region's help
    [own_view] = await counties.say(A, REGION_TG, "/compliance 2026-Q4")
    assert "云南省/楚雄州" not in own_view["text"]
    [region_view] = await counties.say(B, REGION_TG, "/compliance 2026-Q4")
    assert region_view["text"] == text
    # Nothing a region supervisor sent was written to a county's roster or visits.
    assert await counties.visits(A) == [
        ("H001", NOW.date().replace(day=20), "C1"),
        ("H005", NOW.date().replace(day=20), "C2"),
    ]
