"""Plan parsing, the shipped 2017 plan, rebasing and unit selectors."""

from __future__ import annotations

import tomllib
from datetime import date
from typing import Any

import pytest

from domain.plan import (
    Plan,
    PlanCampaign,
    PlanError,
    PlanMilestone,
    PlanTask,
    parse_plan,
    rebase,
    selector_matches,
    task_concerns_unit,
)
from services.plan_loader import default_plan_path, read_plan_file


@pytest.fixture(scope="module")
def plan() -> Plan:
    return read_plan_file(default_plan_path())


def _dues(plan: Plan, campaign: int, task: int) -> list[date]:
    c = next(c for c in plan.campaigns if c.number == campaign)
    t = next(t for t in c.tasks if t.number == task)
    return [m.due for m in t.milestones]


def test_shipped_plan_has_the_five_campaigns_and_leaders(plan: Plan) -> None:
    assert plan.year == 2017
    assert [c.number for c in plan.campaigns] == [1, 2, 3, 4, 5]
    assert [c.leader for c in plan.campaigns] == ["张天莉", "法建辉", "法建辉", "法建辉", "法建辉"]
    assert plan.campaigns[0].title_zh == "实施义务教育均衡迎接国检大会战"
    assert all(c.title_en and c.tasks for c in plan.campaigns)


def test_shipped_plan_due_dates(plan: Plan) -> None:
    assert _dues(plan, 1, 1) == [date(2017, 5, 31)]
    assert _dues(plan, 1, 2) == [date(2017, 8, 31)]
    assert _dues(plan, 1, 3) == [date(2017, 9, 30)]
    assert _dues(plan, 1, 4) == [date(2017, 10, 31)]
    assert _dues(plan, 2, 1) == [date(2017, 6, 30), date(2017, 10, 31)]
    assert _dues(plan, 2, 3) == [date(2017, 8, 31)]
    assert _dues(plan, 3, 1) == [date(2017, 6, 30), date(2017, 10, 31)]
    assert _dues(plan, 5, 1) == [date(2017, 3, 31), date(2017, 6, 30), date(2017, 9, 30),
                                 date(2017, 12, 31)]  # fmt: skip
    assert _dues(plan, 5, 2) == [date(2017, 11, 30)]  # the November ledger deadline


def test_shipped_plan_units(plan: Plan) -> None:
    c1, c2, c3, c4, c5 = plan.campaigns
    assert set(c1.tasks[0].responsible) == {"JHB", "kind:school", "kind:central_school"}
    assert set(c1.tasks[0].cooperating) == {"GCB", "JYG", "JCG"}
    assert set(c2.tasks[0].responsible) == {"JYG", "kind:school", "kind:central_school"}
    assert c3.tasks[0].responsible == ("kind:central_school",)
    assert set(c4.tasks[0].cooperating) == {"JCG", "YYB"}
    assert c5.tasks[0].responsible == ("all",)


def test_selector_matching() -> None:
    assert selector_matches("all", "JYG", "section")
    assert selector_matches("JYG", "JYG", "section")
    assert not selector_matches("JYG", "JCG", "section")
    assert selector_matches("kind:central_school", "ZX06", "central_school")
    assert not selector_matches("kind:school", "ZX06", "central_school")


def test_task_concerns_unit_via_responsible_or_cooperating(plan: Plan) -> None:
    c3_task = plan.campaigns[2].tasks[0]
    assert task_concerns_unit(c3_task, "ZX06", "central_school")  # responsible
    assert task_concerns_unit(c3_task, "JCG", "section")  # cooperating
    assert not task_concerns_unit(c3_task, "YAYZ", "school")
    assert not task_concerns_unit(c3_task, "YYB", "section")


def test_rebase_moves_every_date_and_handles_leap_day() -> None:
    plan = Plan(
        2016,
        (
            PlanCampaign(
                1,
                "甲",
                "A",
                "某",
                (
                    PlanTask(
                        1,
                        "任务",
                        "task",
                        ("all",),
                        (),
                        (
                            PlanMilestone(date(2016, 2, 29), "闰日", "leap"),
                            PlanMilestone(date(2016, 11, 30), "十一月", "Nov"),
                            PlanMilestone(date(2017, 1, 15), "次年", "next year"),
                        ),
                    ),
                ),
            ),
        ),
    )
    moved = rebase(plan, 2026)
    assert moved.year == 2026
    assert [m.due for m in moved.campaigns[0].tasks[0].milestones] == [
        date(2026, 2, 28),
        date(2026, 11, 30),
        date(2027, 1, 15),
    ]
    assert rebase(plan, 2028).campaigns[0].tasks[0].milestones[0].due == date(2028, 2, 29)
    assert plan.campaigns[0].tasks[0].milestones[0].due == date(2016, 2, 29)  # unchanged


def test_rebase_shipped_plan(plan: Plan) -> None:
    moved = rebase(plan, 2026)
    assert _dues(moved, 5, 2) == [date(2026, 11, 30)]
    assert all(m.due.year == 2026 for c in moved.campaigns for t in c.tasks for m in t.milestones)


def _doc() -> dict[str, Any]:
    return tomllib.loads(
        """
year = 2017
[[campaigns]]
number = 1
title_zh = "甲"
title_en = "A"
leader = "某"
  [[campaigns.tasks]]
  number = 1
  title_zh = "任务"
  title_en = "task"
  responsible = ["JYG", "kind:school"]
    [[campaigns.tasks.milestones]]
    due = 2017-05-31
    title_zh = "五月"
    title_en = "May"
"""
    )


def test_parse_minimal_plan() -> None:
    plan = parse_plan(_doc())
    task = plan.campaigns[0].tasks[0]
    assert task.responsible == ("JYG", "kind:school") and task.cooperating == ()
    assert task.milestones[0].due == date(2017, 5, 31)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("year"), "plan.year"),
        (lambda d: d["campaigns"][0].pop("leader"), r"campaigns\[0\]\.leader"),
        (
            lambda d: d["campaigns"][0]["tasks"][0].update(responsible=["kind:church"]),
            "bad selector 'kind:church'",
        ),
        (
            lambda d: d["campaigns"][0]["tasks"][0].update(responsible=[]),
            "at least one unit selector",
        ),
        (
            lambda d: d["campaigns"][0]["tasks"][0]["milestones"][0].update(due="end of May"),
            r"milestones\[0\]\.due",
        ),
        (lambda d: d["campaigns"].append(dict(d["campaigns"][0])), "numbers must be unique"),
        (lambda d: d.update(campaigns=[]), "at least one"),
    ],
)
def test_parse_errors_name_the_field(mutate: Any, message: str) -> None:
    doc = _doc()
    mutate(doc)
    with pytest.raises(PlanError, match=message):
        parse_plan(doc)
