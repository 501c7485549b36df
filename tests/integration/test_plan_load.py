"""Loading the shipped plan into the database: idempotent, and re-based years side by side."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.plan import PlanError, rebase
from services.plan_loader import default_plan_path, load_plan, read_plan_file
from storage.models import Campaign, Milestone, Task
from storage.plan_queries import milestones_between

Maker = async_sessionmaker[AsyncSession]


async def _totals(sessionmaker: Maker) -> tuple[int, int, int]:
    async with sessionmaker() as session:
        return (
            int(await session.scalar(select(func.count()).select_from(Campaign)) or 0),
            int(await session.scalar(select(func.count()).select_from(Task)) or 0),
            int(await session.scalar(select(func.count()).select_from(Milestone)) or 0),
        )


async def test_load_plan_twice_is_idempotent(sessionmaker: Maker) -> None:
    plan = read_plan_file(default_plan_path())
    async with sessionmaker() as session:
        first = await load_plan(session, plan)
    n_tasks = sum(len(c.tasks) for c in plan.campaigns)
    n_milestones = sum(len(t.milestones) for c in plan.campaigns for t in c.tasks)
    assert (first.campaigns.inserted, first.tasks.inserted, first.milestones.inserted) == (
        5, n_tasks, n_milestones,
    )  # fmt: skip
    assert await _totals(sessionmaker) == (5, n_tasks, n_milestones)
    async with sessionmaker() as session:
        second = await load_plan(session, plan)
    assert second.changed == 0
    assert second.milestones.unchanged == n_milestones
    # The due days were set by the first load (nothing to change), kept by the second.
    assert str(first).endswith("dropout-case due days: set")
    assert str(second).endswith("dropout-case due days: unchanged")
    assert await _totals(sessionmaker) == (5, n_tasks, n_milestones)

    async with sessionmaker() as session:
        rows = await milestones_between(session, date(2017, 11, 1), date(2017, 11, 30))
    assert [(r.campaign_number, r.due_date, r.responsible) for r in rows] == [
        (5, date(2017, 11, 30), ("all",))
    ]
    async with sessionmaker() as session:
        task = (
            await session.execute(
                select(Task).join(Campaign).where(Campaign.number == 1, Task.number == 1)
            )
        ).scalar_one()
    assert task.responsible == "JHB kind:school kind:central_school"
    assert task.cooperating == "GCB JYG JCG"


async def test_rebased_plan_adds_the_new_year(sessionmaker: Maker) -> None:
    plan = read_plan_file(default_plan_path())
    async with sessionmaker() as session:
        await load_plan(session, plan)
    async with sessionmaker() as session:
        summary = await load_plan(session, rebase(plan, 2026))
    assert summary.year == 2026 and summary.campaigns.inserted == 5
    campaigns, tasks, milestones = await _totals(sessionmaker)
    assert campaigns == 10
    async with sessionmaker() as session:
        years = set((await session.execute(select(Campaign.plan_year))).scalars())
        ledger = await milestones_between(session, date(2026, 11, 30), date(2026, 11, 30))
    assert years == {2017, 2026}
    assert len(ledger) == 1 and ledger[0].title_zh.startswith("11月底前")
    async with sessionmaker() as session:
        again = await load_plan(session, rebase(plan, 2026))
    assert again.changed == 0
    assert await _totals(sessionmaker) == (campaigns, tasks, milestones)


async def test_edited_title_updates_in_place(sessionmaker: Maker, tmp_path: Path) -> None:
    text = default_plan_path().read_text(encoding="utf-8")
    async with sessionmaker() as session:
        await load_plan(session, read_plan_file(default_plan_path()))
    edited = tmp_path / "plan.toml"
    edited.write_text(text.replace("Q4 household visits", "Q4 visits"), encoding="utf-8")
    async with sessionmaker() as session:
        summary = await load_plan(session, read_plan_file(edited))
    assert (summary.milestones.updated, summary.milestones.inserted) == (1, 0)
    async with sessionmaker() as session:
        titles = set((await session.execute(select(Milestone.title_en))).scalars())
    assert "Q4 visits" in titles and "Q4 household visits" not in titles


def test_bad_plan_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("year = 2017\n[[campaigns]]\nnumber = 1\n", encoding="utf-8")
    with pytest.raises(PlanError, match=r"bad\.toml: campaigns\[0\]\.title_zh"):
        read_plan_file(bad)
    bad.write_text("year = = 2017", encoding="utf-8")
    with pytest.raises(PlanError, match="not valid TOML"):
        read_plan_file(bad)
