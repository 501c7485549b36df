"""Who sees what, and the invite code rules."""

from datetime import UTC, datetime, timedelta

from domain.invites import (
    CODE_LENGTH,
    MAX_WRONG_CODES,
    hash_code,
    is_throttled,
    new_invite_code,
    normalise_code,
)
from domain.roles import ComplianceScope, Role, compliance_scope, sees_all_deadlines


def test_compliance_scope_by_role() -> None:
    assert compliance_scope(Role.CADRE) is ComplianceScope.OWN
    assert compliance_scope(Role.UNIT_HEAD) is ComplianceScope.UNIT
    assert compliance_scope(Role.SUPERVISOR) is ComplianceScope.COUNTY
    assert compliance_scope(Role.ADMIN) is ComplianceScope.COUNTY


def test_only_supervisors_see_every_deadline() -> None:
    assert sees_all_deadlines(Role.SUPERVISOR)
    assert not sees_all_deadlines(Role.UNIT_HEAD)
    assert not sees_all_deadlines(Role.CADRE)


def test_codes_are_unambiguous_and_hash_ignores_case_and_dashes() -> None:
    code = new_invite_code()
    assert len(code) == CODE_LENGTH
    assert not set(code) & set("01OIL")
    assert hash_code(code) == hash_code(f" {code[:5].lower()}-{code[5:]} ")
    assert normalise_code("ab-cd ef") == "ABCDEF"


def test_throttle_counts_only_recent_wrong_codes() -> None:
    now = datetime(2026, 11, 28, 8, tzinfo=UTC)
    recent = [now - timedelta(minutes=m) for m in range(MAX_WRONG_CODES - 1)]
    assert not is_throttled(recent, now)
    assert is_throttled([*recent, now - timedelta(minutes=59)], now)
    assert not is_throttled([*recent, now - timedelta(minutes=61)], now)
