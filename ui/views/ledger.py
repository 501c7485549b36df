"""The household ledger (台账) on screen: the ledger, the list of mine, menus and questions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import partial

from domain.ledgers import (
    AID_KINDS,
    DESTINATIONS,
    EDITABLE_STATUSES,
    STAGES,
    STAGES_WITHOUT_GRADE,
    MemberFacts,
    split_missing,
)
from services.ledgers import LedgerView, MemberLine, MemberRef, Question
from services.reports.ledgers import MyLedgers
from ui.actions import (
    Action,
    LedgerAidKind,
    LedgerAidMenu,
    LedgerBack,
    LedgerBirth,
    LedgerDestination,
    LedgerMember,
    LedgerNeeds,
    LedgerOpen,
    LedgerPage,
    LedgerReviewed,
    LedgerStage,
    LedgerStatus,
)
from ui.i18n import N_, Translator
from ui.render import (
    BIRTH_DATE_EXAMPLE,
    bracket_text,
    clauses_text,
    date_text,
    esc,
    list_text,
    phrases_text,
)
from ui.view import Button, Row, View, button, paged
from ui.views.field_visit import OWED, mark
from ui.views.households import NO_HOUSEHOLDS

STATUS_NAMES = {
    "enrolled": N_("enrolled"),
    "graduated": N_("graduated"),
    "dropout": N_("dropout"),
    "suspected_dropout": N_("suspected dropout"),
    "suspended": N_("suspended"),
    "exempted": N_("exempted"),
    "not_school_age": N_("not of school age"),
}
STAGE_NAMES = {
    "preschool": N_("preschool"),
    "primary": N_("primary school"),
    "junior": N_("junior high"),
    "senior": N_("senior high"),
    "vocational": N_("vocational school"),
    "university": N_("university"),
}
DESTINATION_NAMES = {
    "senior": N_("senior high"),
    "vocational": N_("vocational school"),
    "university": N_("university"),
    "work": N_("work"),
    "other": N_("other"),
}
AID_NAMES = {
    "living_allowance": N_("living allowance"),
    "nutrition": N_("nutrition"),
    "bursary": N_("bursary"),
    "fee_waiver": N_("fee waiver"),
    "rain_dew": N_("Rain-dew plan"),
    "other": N_("other"),
}
SEX_NAMES = {"m": N_("male"), "f": N_("female")}
MISSING_NAMES = {
    "needs": N_("needs"),
    "review": N_("review this season"),
    "birth_date": N_("{name}'s birth date"),
    "status": N_("{name}'s schooling status"),
    "stage": N_("{name}'s school stage"),
    "school": N_("{name}'s school"),
    "grade": N_("{name}'s grade"),
    # Both missing: one item.
    "school_grade": N_("{name}'s school and grade"),
    "destination": N_("where {name} went after graduating"),
}
QUESTIONS = {
    "school": N_("{name}: type the school and the grade, for example: 栋川小学 四年级"),
    # A stage without grades (preschool): the kindergarten's name alone.
    "kindergarten": N_("{name}: type the name of the kindergarten, for example: 栋川幼儿园"),
    "birth": N_("{name}: type the birth date as YYYY-MM-DD, for example {example}."),
    "needs": N_("{code}: type what the household needs (or \u201cnone\u201d if nothing)."),
    "aid": N_(
        "{kind}: type the amount in yuan, optionally followed by a note, for example: 1500 秋季学期"
    ),
}
# What an enrolled or graduated member's record still lacks, said on the member's line.
UNFILLED_NAMES = {
    "stage": N_("school stage"),
    "school": N_("school"),
    "grade": N_("grade"),
    "destination": N_("destination after graduating"),
}
EDIT = "\u270e"
VISIT_NOTE_SHOWN = 60


def _name(names: dict[str, str], value: str | None, t: Translator) -> str:
    if value is None:
        return "?"
    return t(names[value]) if value in names else esc(value)


def _in_pairs(buttons: Sequence[Button]) -> tuple[Row, ...]:
    """Two buttons a row (the last row may hold one)."""
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def yuan_text(amount: float | None, t: Translator) -> str:
    """An aid amount with its unit: "1500 元" / "1500 yuan"."""
    return t("{amount} yuan", amount=aid_amount_text(amount))


def and_text(t: Translator, items: Sequence[str]) -> str:
    """ "学段、学校和年级" / "school stage, school and grade"."""
    if len(items) < 2:
        return "".join(items)
    return t("{items} and {last}", items=list_text(t, items[:-1]), last=items[-1])


def aid_amount_text(amount: float | None) -> str:
    """1500.0 -> "1500", 99.5 -> "99.5" (amounts are kept to the fen)."""
    if amount is None:
        return "-"
    text = f"{Decimal(str(amount)).quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def missing_text(missing: tuple[str, ...], t: Translator) -> str:
    """Reason codes from domain.ledgers as words, e.g. for /mystatus (HTML-escaped): exactly
    what is missing ("school", "grade", or both as one item)."""
    codes = list(missing)
    for code in missing:
        reason, name = split_missing(code)
        if reason == "school" and f"grade:{name}" in codes:
            codes[codes.index(code)] = f"school_grade:{name}"
            codes.remove(f"grade:{name}")
    words = []
    for code in codes:
        reason, name = split_missing(code)
        template = MISSING_NAMES.get(reason)
        if template is None:
            words.append(esc(code))
        elif name is None:
            words.append(t(template))
        else:
            words.append(t(template, name=esc(name)))
    return list_text(t, words)


# ---- the ledger ------------------------------------------------------------------------


def schooling_text(member: MemberFacts, t: Translator) -> str:
    """A member's schooling in words, saying what is not filled in (never a "?"):
    "在校，初中，栋川中学 初二", "在校，学段、学校和年级未填写", "已毕业，毕业去向未填写"."""
    parts = [_name(STATUS_NAMES, member.status, t)]
    unfilled: list[str] = []
    if member.status == "enrolled":
        if member.stage:
            parts.append(_name(STAGE_NAMES, member.stage, t))
        else:
            unfilled.append("stage")
        graded = member.stage not in STAGES_WITHOUT_GRADE
        place = [v for v in (member.school, member.grade if graded else None) if v]
        if place:
            parts.append(esc(" ".join(place)))
        unfilled += [f for f, v in (("school", member.school), ("grade", member.grade)) if not v]
        if not graded and "grade" in unfilled:
            unfilled.remove("grade")
    elif member.status == "graduated":
        if member.destination:
            name = _name(DESTINATION_NAMES, member.destination, t)
            parts.append(t("destination: {destination}", destination=name))
        else:
            unfilled.append("destination")
    if unfilled:
        items = and_text(t, [t(UNFILLED_NAMES[f]) for f in unfilled])
        parts.append(t("{items} not filled in", items=items))
    return phrases_text(t, parts)


def _member_line(line: MemberLine, t: Translator) -> str:
    member = line.member
    facts = [_name(SEX_NAMES, member.sex, t) if member.sex else None]
    facts.append(t("age {age}", age=line.age) if line.age is not None else t("age unknown"))
    text = f"\u2022 {esc(member.name)}" + bracket_text(t, phrases_text(t, (f for f in facts if f)))
    if member.status is None:
        if not line.school_age:
            return text
        return text + t(": {details}", details=t("schooling status not recorded"))
    return text + t(": {details}", details=schooling_text(member, t))


def _completeness(view: LedgerView, t: Translator) -> list[str]:
    if view.complete:
        return [t("\u2705 Complete for {year}.", year=view.year)]
    lines = [
        t(
            "\u25cb Not complete for {year}; missing: {missing}",
            year=view.year,
            missing=missing_text(view.missing, t),
        )
    ]
    if "review" in view.missing:
        lines.append(
            t(
                "(A review counts from {date}, when this year's ledger season opened.)",
                date=date_text(t, view.opens),
            )
        )
    return lines


def _ledger_text(view: LedgerView, t: Translator) -> str:
    lines = [
        t(
            "\U0001f4d2 <b>Ledger {year}: {code} {head}</b> ({village})",
            year=view.year,
            code=esc(view.code),
            head=esc(view.head_name),
            village=esc(view.village_name),
        ),
        "",
        t("<b>Members</b>"),
    ]
    lines += [_member_line(m, t) for m in view.members] or [t("(no members on the roster)")]
    aid = clauses_text(
        t,
        (
            _name(AID_NAMES, a.kind, t)
            + " "
            + yuan_text(a.amount, t)
            + (bracket_text(t, esc(a.note)) if a.note else "")
            for a in view.aid
        ),
    )
    lines.append(t("<b>Aid {year}</b>: {aid}", year=view.year, aid=aid or t("none recorded")))
    needs = esc(view.needs) if view.needs else t("not filled")
    lines.append(t("<b>Needs</b>: {needs}", needs=needs))
    visits = clauses_text(
        t,
        (
            date_text(t, v.visit_date) + (f" {esc(v.note[:VISIT_NOTE_SHOWN])}" if v.note else "")
            for v in view.visits
        ),
    )
    lines.append(t("<b>Last visits</b>: {visits}", visits=visits or t("none")))
    if view.reviewed_on is not None:
        lines.append(
            t(
                "Reviewed on {date} by {name}.",
                date=date_text(t, view.reviewed_on),
                name=esc(view.reviewer_name or "?"),
            )
        )
    return "\n".join(lines + _completeness(view, t))


def _ledger_rows(view: LedgerView, t: Translator) -> tuple[Row, ...]:
    """Members two a row (○ where something is missing), then needs and aid, review, back."""
    if not view.editable:
        return ()
    incomplete = {split_missing(code)[1] for code in view.missing}
    members = [
        button(
            f"{OWED if m.member.name in incomplete else EDIT} {m.member.name}",
            LedgerMember(member_id=m.member.id),
        )
        for m in view.members
    ]
    household = view.household_id
    return (
        *_in_pairs(members),
        (
            Button(t("\U0001f4dd Needs"), LedgerNeeds(household_id=household)),
            Button(t("\U0001f4b4 Add aid"), LedgerAidMenu(household_id=household)),
        ),
        (Button(t("\u2705 Confirm reviewed"), LedgerReviewed(household_id=household)),),
        (Button(t("\u00ab My ledgers"), LedgerPage(page=0)),),
    )


def ledger_screen(view: LedgerView, t: Translator, *, saved: bool = False) -> View:
    """The ledger, with edit buttons for its holder only; `saved` heads it after a change."""
    head = t("\u2705 Saved.") + "\n\n" if saved else ""
    return View(head + _ledger_text(view, t), _ledger_rows(view, t))


def ledger_list(mine: MyLedgers, page: int, t: Translator) -> View:
    """My households, incomplete ledgers first, a page at a time."""
    if not mine.items:
        return View(t(NO_HOUSEHOLDS))
    text = t(
        "<b>Ledgers {year}</b>: {complete} of {total} complete; \u25cb = incomplete. "
        "Due by the end of November. Pick a household:",
        year=mine.year,
        complete=mine.complete_count,
        total=len(mine.items),
    )
    items = [
        button(
            f"{mark(not i.missing)} {i.code} {i.head_name}",
            LedgerOpen(household_id=i.household_id),
        )
        for i in mine.items
    ]
    return View(text, paged(items, page, lambda p: LedgerPage(page=p)))


# ---- menus and questions ----------------------------------------------------------------


def _choice_menu(
    text: str,
    options: tuple[str, ...],
    names: dict[str, str],
    make: Callable[[str], Action],
    back: Action,
    t: Translator,
) -> View:
    """One button per option, then « Back, two a row."""
    buttons = [Button(t(names[o]), make(o)) for o in options]
    return View(text, _in_pairs([*buttons, Button(t("\u00ab Back"), back)]))


def _member_menu(member: MemberRef, t: Translator) -> View:
    if member.status == "graduated":
        facts = MemberFacts(member.name, status=member.status, destination=member.destination)
        now = schooling_text(facts, t)
    elif member.status is None:
        now = t("schooling status not recorded")
    else:
        now = _name(STATUS_NAMES, member.status, t)
    text = t(
        "{code}: {name} \u2014 now: {status}. Choose the schooling status:",
        code=esc(member.household_code),
        name=esc(member.name),
        status=now,
    )
    buttons = [
        Button(t(STATUS_NAMES[s]), LedgerStatus(member.id, s, member.record))
        for s in EDITABLE_STATUSES
        if not (s == "graduated" and member.status == "graduated")
    ]
    if member.status == "graduated":
        # A graduate's "graduated" button, first and named for what it sets: where they went.
        destination = LedgerStatus(member.id, "graduated", member.record)
        buttons.insert(0, Button(t("\U0001f393 Destination after graduating"), destination))
    buttons.append(Button(t("\U0001f4c5 Birth date"), LedgerBirth(member_id=member.id)))
    buttons.append(Button(t("\u00ab Back"), LedgerBack(household_id=member.household_id)))
    return View(text, _in_pairs(buttons))


def _destination(member: MemberRef, destination: str) -> Action:
    """A destination button for the member's record as it is now (a later change: stale)."""
    return LedgerDestination(member.id, destination, member.record)


def member_screen(member: MemberRef, picked: str | None, t: Translator) -> View:
    """A member's menu (status or birth date); after enrolled the stage to pick, after
    graduated where they went."""
    name = esc(member.name)
    if picked == "enrolled":
        text, options, names = t("{name}: which stage?", name=name), STAGES, STAGE_NAMES
        make: Callable[[str], Action] = partial(LedgerStage, member.id)
    elif picked == "graduated":
        text = t("{name}: where did they go after graduating?", name=name)
        options, names = DESTINATIONS, DESTINATION_NAMES
        make = partial(_destination, member)
    else:
        return _member_menu(member, t)
    return _choice_menu(text, options, names, make, LedgerMember(member_id=member.id), t)


def aid_menu(household_id: int, code: str, t: Translator) -> View:
    return _choice_menu(
        t("{code}: which aid did the household receive?", code=esc(code)),
        AID_KINDS,
        AID_NAMES,
        partial(LedgerAidKind, household_id),
        LedgerBack(household_id=household_id),
        t,
    )


def question_view(question: Question, subject: str, t: Translator) -> View:
    """What a typed question asks; `subject` is the member's name, or the household's code."""
    named = t(AID_NAMES[question.choice]) if question.kind == "aid" else esc(subject)
    kind = question.kind
    if kind == "school" and question.choice in STAGES_WITHOUT_GRADE:
        kind = "kindergarten"
    return View(t(QUESTIONS[kind], name=named, code=named, kind=named, example=BIRTH_DATE_EXAMPLE))
