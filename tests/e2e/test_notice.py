"""/notice: the supervisors' monthly notice as text, an Excel workbook and a chart."""

import io
import zipfile
from datetime import date, datetime

from openpyxl import load_workbook
from sqlalchemy import update

from storage.models import Unit
from tests.e2e.conftest import CADRE_TG, OTHER_CADRE_TG, SUPERVISOR_TG, Harness
from ui.refusals import REFUSALS

C3_TG = 1005


async def _month_of_work(harness: Harness) -> None:
    """Visits: C1 H001 and H003 (教育股 2 of 6), C3 H007 (栋川中心校 1 of 2).

    Milestones (conftest): 十月核实 due 2026-10-31 concerns every unit ("all") and nobody
    reported it done, so on 2026-11-28 it is 28 days overdue for 局办公室, 栋川中心校, 教育股.
    局办公室 holds no households and no village: it is not ranked, only named as overdue.
    """
    await harness.register_all({CADRE_TG: "C1", C3_TG: "C3", SUPERVISOR_TG: "S1"})
    await harness.say_each(CADRE_TG, "/visit H001 2026-10-30", "/visit H003 2026-11-21")
    await harness.say(C3_TG, "/visit H007")


async def test_supervisor_gets_text_workbook_and_chart(harness: Harness) -> None:
    await _month_of_work(harness)
    text, document, photo = await harness.say(SUPERVISOR_TG, "/notice", count=3)
    lines = text["text"].splitlines()
    assert lines[0] == "月通报：2026年11月（截至2026年11月28日）"
    assert not any(line.startswith("本月已到村工作的单位") for line in lines)  # no pairings
    assert "2026年第四季度已走访挂包户：3/8（38%）" in lines
    assert "1. 栋川中心校：入户 50%，到村 无此项任务，台账 0%，逾期 1" in lines
    assert "2. 教育股：入户 33%，到村 无此项任务，台账 0%，逾期 1" in lines
    assert "局办公室：" not in text["text"]  # no pairing duty: not ranked
    assert "2026年10月31日 十月核实：已逾期 28 天；未完成：局办公室、栋川中心校、教育股" in lines

    assert document["document"]["file_name"] == "notice-2026-11.xlsx"
    workbook = load_workbook(io.BytesIO(harness.api.file_bytes(document["document"]["file_id"])))
    assert workbook.sheetnames == ["排名", "逾期任务节点", "辍学个案"]
    ranking = list(workbook["排名"].iter_rows(values_only=True))
    assert ranking[0][:6] == (
        "名次",
        "单位编号",
        "单位",
        "挂包户数",
        "已走访户数（2026年第四季度）",
        "走访覆盖率",
    )
    assert ranking[1] == (1, "CS1", "栋川中心校", 2, 1, 0.5, 0, 0, 2, 0, 0, 1)
    assert ranking[2][:6] == (2, "JYG", "教育股", 6, 2, 2 / 6)
    assert len(ranking) == 3
    overdue = list(workbook["逾期任务节点"].iter_rows(values_only=True))
    due, *rest = overdue[1]
    assert isinstance(due, datetime) and due.date() == date(2026, 10, 31)  # an Excel date
    assert rest == ["十月核实", 28, "局办公室、栋川中心校、教育股"]

    png = harness.api.file_bytes(photo["photo"][-1]["file_id"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000


async def test_a_past_month_counts_up_to_its_last_day(harness: Harness) -> None:
    await _month_of_work(harness)
    text, _document, _photo = await harness.say(SUPERVISOR_TG, "/notice 2026-10", count=3)
    lines = text["text"].splitlines()
    assert lines[0] == "月通报：2026年10月（截至2026年10月31日）"
    assert "2026年第四季度已走访挂包户：1/8（12%）" in lines  # only H001's October visit
    assert not any(line.startswith("2026年10月31日 十月核实") for line in lines)  # due that day


async def test_refusals_name_their_rule(harness: Harness) -> None:
    await harness.register_all({OTHER_CADRE_TG: "C2", SUPERVISOR_TG: "S1"})
    [reply] = await harness.say(OTHER_CADRE_TG, "/notice")
    assert reply["text"] == harness.zh(REFUSALS["notice_supervisors_only"])
    [reply] = await harness.say(SUPERVISOR_TG, "/notice 2026-12")
    assert reply["text"] == harness.zh(REFUSALS["notice_future_month"], month="2026年12月")
    [reply] = await harness.say(SUPERVISOR_TG, "/notice 2026-13")
    assert reply["text"] == harness.zh(REFUSALS["bad_month"], text="2026-13")


async def test_in_english(harness: Harness) -> None:
    await _month_of_work(harness)
    await harness.say(SUPERVISOR_TG, "/lang en")
    text, document, _photo = await harness.say(SUPERVISOR_TG, "/notice", count=3)
    assert text["text"].startswith("Monthly notice November 2026 (as of 2026-11-28)")
    assert "1. 栋川中心校: households 50%, village no duty, ledgers 0%, overdue 1" in text["text"]
    workbook = load_workbook(io.BytesIO(harness.api.file_bytes(document["document"]["file_id"])))
    assert workbook.sheetnames == ["Ranking", "Overdue milestones", "Dropout cases"]


async def test_the_workbook_holds_no_live_formula(harness: Harness) -> None:
    """A unit named like a formula is text in the workbook sent in chat, never a formula."""
    hostile = {"CS1": '=HYPERLINK("http://x","y")', "JYG": "@SUM(A1)"}
    async with harness.app.sessionmaker() as session, session.begin():
        for code, name in hostile.items():
            await session.execute(update(Unit).where(Unit.code == code).values(name=name))
    await _month_of_work(harness)
    _text, document, _photo = await harness.say(SUPERVISOR_TG, "/notice", count=3)
    data = harness.api.file_bytes(document["document"]["file_id"])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in archive.read(n) for n in sheets)
    workbook = load_workbook(io.BytesIO(data))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    named = {c.value: c for c in cells if c.value in hostile.values()}
    assert set(named) == set(hostile.values())  # the ranking and the overdue units
    assert all(c.data_type == "s" and c.quotePrefix for c in named.values())
    ranking = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert ranking[1][:4] == (1, "CS1", hostile["CS1"], 2)  # numbers stay numbers
