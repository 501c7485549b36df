"""Schooling rates and the ministry's three lists, computed from the household ledgers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, local_today
from domain.errors import PermissionRefused
from domain.ledgers import age_on
from domain.schooling import (
    COUNTY,
    DROPPED_OUT,
    STAGES,
    SUSPECTED,
    THRESHOLDS,
    Place,
    SchoolingRates,
    birth_window,
    expected_stage,
    rates_of_counts,
    school_year_of,
    school_year_start,
    schooling_scope,
    stage_births,
)
from services.actors import Actor
from services.transaction import unit_of_work
from storage.schooling import (
    ChildRow,
    children_born_between,
    children_counted,
    stream_children_born_between,
    unit_place,
)


@dataclass(frozen=True)
class ListedChild:
    """A child of compulsory-school age with the stage their age calls for."""

    row: ChildRow
    age: int  # on September 1 of the school year
    expected_stage: str


@dataclass(frozen=True)
class SchoolingView:
    """What /schooling shows: the rates, and the children a central school must follow up."""

    rates: SchoolingRates
    as_of: date
    scope: str  # county | township
    suspected: tuple[ListedChild, ...]
    dropouts: tuple[ListedChild, ...]


@dataclass(frozen=True)
class TownshipLists:
    """The three lists the education ministry asks a county to keep, for one township."""

    code: str
    name: str
    school_year: int
    children: tuple[ListedChild, ...]

    @property
    def suspected(self) -> tuple[ListedChild, ...]:
        return tuple(c for c in self.children if c.row.status == SUSPECTED)

    @property
    def dropouts(self) -> tuple[ListedChild, ...]:
        return tuple(c for c in self.children if c.row.status == DROPPED_OUT)


def _school_age(rows: list[ChildRow], school_year: int) -> list[ListedChild]:
    start = school_year_start(school_year)
    listed: list[ListedChild] = []
    for row in rows:
        stage = expected_stage(row.birth_date, school_year)
        if stage is not None:
            listed.append(ListedChild(row, age_on(row.birth_date, start), stage))
    return listed


async def _school_age_children(
    session: AsyncSession,
    school_year: int,
    township_id: int | None = None,
    statuses: tuple[str, ...] | None = None,
) -> list[ListedChild]:
    after, until = birth_window(school_year)
    rows = await children_born_between(session, after, until, township_id, statuses)
    return _school_age(rows, school_year)


async def _rates(
    session: AsyncSession, school_year: int, total: Place, township_id: int | None = None
) -> SchoolingRates:
    """Counted in the database per village, stage and status; the rates from the counts."""
    counts = await children_counted(session, stage_births(school_year), township_id)
    return rates_of_counts(counts, school_year, total)


async def county_rates(session: AsyncSession, school_year: int) -> SchoolingRates:
    """The county's rates for a school year (for the CLI reports): one counting query."""
    async with unit_of_work(session):
        return await _rates(session, school_year, Place(COUNTY, "", ""))


async def schooling_for(
    session: AsyncSession, actor: Actor, clock: Clock, tz: ZoneInfo
) -> SchoolingView:
    """The current school year's rates as far as the actor's role reaches."""
    today = local_today(clock, tz)
    school_year = school_year_of(today)
    async with unit_of_work(session):
        unit = await unit_place(session, actor.unit_id)
        scope = schooling_scope(actor.role, unit.kind)
        if scope is None or (scope != COUNTY and unit.township_id is None):
            raise PermissionRefused("schooling_not_allowed")
        township_id = None if scope == COUNTY else unit.township_id
        if scope == COUNTY:
            total = Place(COUNTY, "", "")
        else:
            total = Place("township", unit.township_code or "", unit.township_name or "")
        rates = await _rates(session, school_year, total, township_id)
        # Only the children named: suspected dropouts and dropouts.
        children = await _school_age_children(
            session, school_year, township_id, (SUSPECTED, DROPPED_OUT)
        )
    return SchoolingView(
        rates=rates,
        as_of=today,
        scope=scope,
        suspected=tuple(c for c in children if c.row.status == SUSPECTED),
        dropouts=tuple(c for c in children if c.row.status == DROPPED_OUT),
    )


async def township_lists(session: AsyncSession, school_year: int) -> list[TownshipLists]:
    """Every township with school-age children in poor villages, with its three lists."""
    return [lists async for lists in stream_township_lists(session, school_year)]


async def stream_township_lists(
    session: AsyncSession, school_year: int
) -> AsyncIterator[TownshipLists]:
    """`township_lists` one township at a time, by code, read as one streamed query: a
    province's lists are never held whole, only the township being written."""
    after, until = birth_window(school_year)
    async with unit_of_work(session):
        key: tuple[str, str] | None = None
        rows: list[ChildRow] = []
        async for row in stream_children_born_between(session, after, until):
            if key is not None and key != (row.township_code, row.township_name):
                if listed := _school_age(rows, school_year):
                    yield TownshipLists(*key, school_year, tuple(listed))
                rows = []
            key = (row.township_code, row.township_name)
            rows.append(row)
        if key is not None and (listed := _school_age(rows, school_year)):
            yield TownshipLists(*key, school_year, tuple(listed))


@dataclass(frozen=True)
class RateRecord:
    """One place and stage as a flat record, for JSON, CSV and the workbook."""

    level: str
    township_code: str
    township: str
    village_code: str
    village: str
    stage: str
    children: int
    in_school: int
    suspected: int
    dropouts: int
    exempted: int
    other: int
    enrolment_percent: Decimal | None
    dropout_percent: Decimal | None
    enrolment_min: Decimal
    dropout_max: Decimal
    below: tuple[str, ...]


def rate_records(rates: SchoolingRates) -> list[RateRecord]:
    """County total, then each township, then each village, two stages each."""
    records: list[RateRecord] = []
    for item in (rates.total, *rates.townships, *rates.villages):
        place = item.place
        if place.level == "village":
            township = (place.township_code, place.township_name)
            village = (place.code, place.name)
        else:
            township = (place.code, place.name)
            village = ("", "")
        for stage in STAGES:
            f = item.stages[stage]
            records.append(
                RateRecord(
                    level=place.level,
                    township_code=township[0],
                    township=township[1],
                    village_code=village[0],
                    village=village[1],
                    stage=stage,
                    children=f.children,
                    in_school=f.in_school,
                    suspected=f.suspected,
                    dropouts=f.dropouts,
                    exempted=f.exempted,
                    other=f.other,
                    enrolment_percent=f.enrolment_percent,
                    dropout_percent=f.dropout_percent,
                    enrolment_min=THRESHOLDS[stage].enrolment_min,
                    dropout_max=THRESHOLDS[stage].dropout_max,
                    below=f.failing(),
                )
            )
    return records
