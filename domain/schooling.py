"""Schooling rates (控辍保学): which stage a child should be in, enrolment and dropout rates.

Rules (stated in the README):

- The school year starts on September 1: a date before September 1 belongs to the school
  year that began the previous September (2027-08-31 is in school year 2026).
- The age on September 1 of the school year decides the stage a child should be in:
  6-11 primary (小学), 12-14 junior middle (初中): nine years of compulsory education.
- Enrolment rate of a stage = children of the stage's age who are in school (enrolled at
  any stage, so a 12-year-old still in primary counts) / children of that age. Exempted
  children (e.g. illness, 免学/缓学) are left out of the denominator.
- A suspected dropout still counts as in school until the central school verifies the
  case (a report is not a finding), and is listed separately.
- Dropout rate = dropouts (status "dropout") / children of that age who are in school or
  dropped out. Other statuses (graduated early, suspended, not recorded) count against
  enrolment but are not dropouts.
- Thresholds (national, quoted in the 2017 plan, seed text section 二.5): primary
  enrolment >= 99.5%, junior >= 99%, primary dropout <= 0.6%, junior <= 1.8%.

Pure rules, no framework: the bot, the CLI reports and the tests share them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

from domain.ledgers import age_on
from domain.roles import Role, UnitKind

PRIMARY = "primary"
JUNIOR = "junior"
STAGES: tuple[str, ...] = (PRIMARY, JUNIOR)
# Age on September 1 of the school year -> the compulsory stage a child should be in.
STAGE_AGES: dict[str, tuple[int, int]] = {PRIMARY: (6, 11), JUNIOR: (12, 14)}
SCHOOL_YEAR_STARTS = (9, 1)

ENROLMENT = "enrolment"
DROPOUT = "dropout"

IN_SCHOOL = frozenset({"enrolled", "suspected_dropout"})
DROPPED_OUT = "dropout"
SUSPECTED = "suspected_dropout"
EXEMPTED = "exempted"


@dataclass(frozen=True)
class Threshold:
    """A stage's national limits, in percent."""

    enrolment_min: Decimal
    dropout_max: Decimal


# 姚安县教育局 2017 plan (seed), 二.5: "小学适龄儿童入学率达99.5%以上、初中适龄儿童入学率达99%以上,
# 小学阶段辍学率控制在0.6%以内、初中阶段辍学率控制在1.8%以内". Kept here, not in the plan file:
# they are national figures, not something a county configures.
THRESHOLDS: dict[str, Threshold] = {
    PRIMARY: Threshold(Decimal("99.5"), Decimal("0.6")),
    JUNIOR: Threshold(Decimal("99"), Decimal("1.8")),
}


def school_year_of(day: date) -> int:
    """The year whose September 1 opened the school year containing `day`."""
    month, first = SCHOOL_YEAR_STARTS
    return day.year if (day.month, day.day) >= (month, first) else day.year - 1


def school_year_start(year: int) -> date:
    month, day = SCHOOL_YEAR_STARTS
    return date(year, month, day)


def expected_stage(birth: date, school_year: int) -> str | None:
    """The compulsory stage a child born on `birth` should be in, or None outside 6-14."""
    age = age_on(birth, school_year_start(school_year))
    for stage, (low, high) in STAGE_AGES.items():
        if low <= age <= high:
            return stage
    return None


def birth_window(school_year: int) -> tuple[date, date]:
    """Births (after, up to and including) that make a child 6-14 on September 1."""
    start = school_year_start(school_year)
    youngest = STAGE_AGES[PRIMARY][0]
    oldest = STAGE_AGES[JUNIOR][1]
    return start.replace(year=start.year - oldest - 1), start.replace(year=start.year - youngest)


def stage_births(school_year: int) -> dict[str, tuple[date, date]]:
    """Per stage, the births (after, up to and including) that put a child in it on
    September 1: `expected_stage` as date ranges, for a database to count by."""
    start = school_year_start(school_year)
    return {
        stage: (start.replace(year=start.year - high - 1), start.replace(year=start.year - low))
        for stage, (low, high) in STAGE_AGES.items()
    }


@dataclass(frozen=True)
class StageFigures:
    """One stage's counts in one place."""

    stage: str
    children: int = 0  # of the stage's age, exempted left out
    in_school: int = 0  # enrolled (any stage) or suspected dropout
    suspected: int = 0  # of which suspected dropouts
    dropouts: int = 0
    exempted: int = 0
    other: int = 0  # not in school and not a dropout: graduated, suspended, not recorded

    @property
    def enrolment_rate(self) -> Fraction | None:
        return Fraction(self.in_school, self.children) if self.children else None

    @property
    def dropout_base(self) -> int:
        return self.in_school + self.dropouts

    @property
    def dropout_rate(self) -> Fraction | None:
        return Fraction(self.dropouts, self.dropout_base) if self.dropout_base else None

    # Percents and comparisons in integers, exact as Fractions would be (a province's report
    # makes tens of thousands of them).
    @property
    def enrolment_percent(self) -> Decimal | None:
        """The enrolment rate as a percent with two decimals, rounded down (never flatters)."""
        if not self.children:
            return None
        return Decimal(self.in_school * 10000 // self.children).scaleb(-2)

    @property
    def dropout_percent(self) -> Decimal | None:
        """The dropout rate as a percent with two decimals, rounded up (never flatters)."""
        base = self.dropout_base
        if not base:
            return None
        return Decimal(-(-self.dropouts * 10000 // base)).scaleb(-2)

    def failing(self) -> tuple[str, ...]:
        """The indicators below threshold (exact comparison, not the rounded percent)."""
        limits = THRESHOLDS[self.stage]
        enrolment_low = bool(self.children) and (
            self.in_school * 100 < limits.enrolment_min * self.children
        )
        base = self.dropout_base
        dropout_high = bool(base) and self.dropouts * 100 > limits.dropout_max * base
        if enrolment_low:
            return (ENROLMENT, DROPOUT) if dropout_high else (ENROLMENT,)
        return (DROPOUT,) if dropout_high else ()


def count_child(figures: StageFigures, status: str | None) -> StageFigures:
    """Add one child of the stage's age with `status` to the figures."""
    if status == EXEMPTED:
        return _bump(figures, exempted=1)
    if status in IN_SCHOOL:
        return _bump(figures, children=1, in_school=1, suspected=int(status == SUSPECTED))
    if status == DROPPED_OUT:
        return _bump(figures, children=1, dropouts=1)
    return _bump(figures, children=1, other=1)


def count_children(figures: StageFigures, status: str | None, count: int) -> StageFigures:
    """Add `count` children of the stage's age with `status`: `count_child`, `count` times."""
    one = count_child(StageFigures(figures.stage), status)
    return _bump(figures, **{name: count * getattr(one, name) for name in _COUNTS})


_COUNTS = ("children", "in_school", "suspected", "dropouts", "exempted", "other")


def _bump(figures: StageFigures, **added: int) -> StageFigures:
    return replace(figures, **{name: getattr(figures, name) + n for name, n in added.items()})


@dataclass(frozen=True)
class Place:
    """A township or a village (with its township), or the county."""

    level: str  # county | township | village
    code: str
    name: str
    township_code: str = ""
    township_name: str = ""

    @property
    def label(self) -> str:
        return f"{self.township_name} {self.name}" if self.level == "village" else self.name


@dataclass(frozen=True)
class PlaceFigures:
    place: Place
    stages: dict[str, StageFigures]


@dataclass(frozen=True)
class Shortfall:
    """One indicator of one stage in one place below its threshold."""

    place: Place
    stage: str
    indicator: str  # enrolment | dropout
    figures: StageFigures

    @property
    def limit(self) -> Decimal:
        limits = THRESHOLDS[self.stage]
        return limits.enrolment_min if self.indicator == ENROLMENT else limits.dropout_max

    @property
    def shown(self) -> Decimal | None:
        f = self.figures
        return f.enrolment_percent if self.indicator == ENROLMENT else f.dropout_percent


@dataclass(frozen=True)
class Child:
    """A child of compulsory-school age as the rates see it."""

    township_code: str
    township_name: str
    village_code: str
    village_name: str
    birth_date: date
    status: str | None


@dataclass(frozen=True)
class SchoolingRates:
    school_year: int
    total: PlaceFigures
    townships: tuple[PlaceFigures, ...]
    villages: tuple[PlaceFigures, ...]
    shortfalls: tuple[Shortfall, ...] = field(default=())


@dataclass(frozen=True)
class ChildCount:
    """How many children of one village, of one stage's age, have one status (a database
    counts them so; `schooling_rates` counts one child at a time)."""

    township_code: str
    township_name: str
    village_code: str
    village_name: str
    stage: str
    status: str | None
    count: int


def schooling_rates(
    children: Iterable[Child], school_year: int, total: Place | None = None
) -> SchoolingRates:
    """Rates per township, village and stage, and the places below threshold.

    Children outside ages 6-14 on September 1 of `school_year` are ignored. `total` names
    the whole (the county, or a central school's township).
    """
    counts = (
        ChildCount(
            c.township_code, c.township_name, c.village_code, c.village_name, stage, c.status, 1
        )
        for c in children
        if (stage := expected_stage(c.birth_date, school_year)) is not None
    )
    return rates_of_counts(counts, school_year, total)


def rates_of_counts(
    counts: Iterable[ChildCount], school_year: int, total: Place | None = None
) -> SchoolingRates:
    """`schooling_rates` from children already counted per village, stage and status.

    Summed into plain integer lists per village and stage, then villages into townships and
    the whole, and made into figures once per place: a province has 100,000 counts."""
    whole = total or Place("county", "", "")
    # What one child of a (stage, status) adds to _COUNTS (count_child, once each): the
    # (index, amount) pairs that are not zero.
    one: dict[tuple[str, str | None], tuple[tuple[int, int], ...]] = {}
    # Per village key (level, code, name, township code, township name), per stage: _COUNTS.
    villages: dict[tuple[str, str, str, str, str], dict[str, list[int]]] = {}
    for child in counts:
        stage, status, count = child.stage, child.status, child.count
        added = one.get((stage, status))
        if added is None:
            first = count_child(StageFigures(stage), status)
            amounts = (getattr(first, name) for name in _COUNTS)
            added = one[(stage, status)] = tuple((i, n) for i, n in enumerate(amounts) if n)
        key = ("village", child.village_code, child.village_name, child.township_code,
               child.township_name)  # fmt: skip
        stages = villages.get(key)
        if stages is None:
            stages = villages[key] = {name: [0] * len(_COUNTS) for name in STAGES}
        bucket = stages[stage]
        for index, amount in added:
            bucket[index] += count * amount

    whole_key = (whole.level, whole.code, whole.name, whole.township_code, whole.township_name)
    townships: dict[tuple[str, str, str, str, str], dict[str, list[int]]] = {}
    overall = {stage: [0] * len(_COUNTS) for stage in STAGES}
    for key, stages in villages.items():
        township_key = ("township", key[3], key[4], "", "")
        sums = townships.get(township_key)
        if sums is None:
            sums = townships[township_key] = {name: [0] * len(_COUNTS) for name in STAGES}
        for stage, values in stages.items():
            sums[stage] = [a + b for a, b in zip(sums[stage], values, strict=True)]
            overall[stage] = [a + b for a, b in zip(overall[stage], values, strict=True)]
    townships.pop(whole_key, None)  # the whole may be this township (a central school's)

    def figures(
        sums: dict[tuple[str, str, str, str, str], dict[str, list[int]]],
    ) -> tuple[PlaceFigures, ...]:
        return tuple(
            PlaceFigures(Place(*key), _stage_figures(sums[key]))
            for key in sorted(sums, key=_key_order)
        )

    whole_figures = PlaceFigures(whole, _stage_figures(overall))
    by_township, by_village = figures(townships), figures(villages)
    shortfalls = tuple(
        Shortfall(item.place, stage, indicator, item.stages[stage])
        for item in (whole_figures, *by_township, *by_village)
        for stage in STAGES
        for indicator in item.stages[stage].failing()
    )
    return SchoolingRates(school_year, whole_figures, by_township, by_village, shortfalls)


def _stage_figures(sums: dict[str, list[int]]) -> dict[str, StageFigures]:
    return {stage: StageFigures(stage, *values) for stage, values in sums.items()}


def _key_order(key: tuple[str, str, str, str, str]) -> tuple[str, str]:
    """As `_order` on the place the key makes: (township code or own code, own code)."""
    return (key[3] or key[1], key[1])


COUNTY = "county"
TOWNSHIP = "township"


def schooling_scope(role: Role, unit_kind: str) -> str | None:
    """Supervisors see the county; a central school (any of its people) its own township.

    Central schools verify dropouts and persuade children back, so they need their
    township's figures and names; other units and plain cadres get no rates.
    """
    if role in (Role.SUPERVISOR, Role.ADMIN):
        return COUNTY
    if unit_kind == UnitKind.CENTRAL_SCHOOL:
        return TOWNSHIP
    return None
