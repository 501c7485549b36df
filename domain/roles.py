"""Roles on the roster and what each may see."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CADRE = "cadre"
    UNIT_HEAD = "unit_head"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class UnitKind(StrEnum):
    SECTION = "section"
    CENTRAL_SCHOOL = "central_school"
    SCHOOL = "school"
    OFFICE = "office"


class ComplianceScope(StrEnum):
    """How far a person's view of coverage reaches."""

    OWN = "own"
    UNIT = "unit"
    COUNTY = "county"


def compliance_scope(role: Role) -> ComplianceScope:
    """A cadre sees their own households, a unit head the unit, supervisors the county."""
    if role in (Role.SUPERVISOR, Role.ADMIN):
        return ComplianceScope.COUNTY
    if role is Role.UNIT_HEAD:
        return ComplianceScope.UNIT
    return ComplianceScope.OWN


def sees_all_deadlines(role: Role) -> bool:
    """Supervisors follow every unit's milestones; others their own unit's."""
    return role in (Role.SUPERVISOR, Role.ADMIN)


class FocusKind(StrEnum):
    """What a supervisor can narrow a coverage report to."""

    UNIT = "unit"
    TOWNSHIP = "township"
    CADRE = "cadre"


def focus_scope(kind: FocusKind) -> ComplianceScope:
    """A unit is shown by cadre, a cadre as their own view, a township like the county."""
    return {
        FocusKind.UNIT: ComplianceScope.UNIT,
        FocusKind.CADRE: ComplianceScope.OWN,
        FocusKind.TOWNSHIP: ComplianceScope.COUNTY,
    }[kind]


def may_focus(role: Role, kind: FocusKind, same_unit: bool) -> bool:
    """Supervisors look into any unit, township or cadre; a unit head into the unit's cadres.

    A cadre's own report needs no narrowing, so cadres may not narrow at all.
    """
    if role in (Role.SUPERVISOR, Role.ADMIN):
        return True
    return role is Role.UNIT_HEAD and same_unit and kind in (FocusKind.UNIT, FocusKind.CADRE)


def receives_notice(role: Role) -> bool:
    """The monthly notice ranks units against each other: it is for supervisors."""
    return role in (Role.SUPERVISOR, Role.ADMIN)
