"""The export audit's rules without I/O: what an export record must hold, and --since."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.audit import CLI, COMPLIANCE, Export, default_since, parse_since
from domain.errors import InputRefused

AT = datetime(2026, 11, 28, 2, tzinfo=UTC)
TODAY = date(2026, 11, 28)


def _export(at: datetime = AT, channel: str = CLI, rows: int = 1) -> Export:
    return Export(at, channel, "auditor", COMPLIANCE, "county", "csv", rows)


def test_an_export_is_an_aware_instant_a_known_channel_and_a_count() -> None:
    assert _export().channel == "cli"
    with pytest.raises(ValueError, match="naive"):
        _export(at=datetime(2026, 11, 28))  # noqa: DTZ001 - the naive instant refused
    with pytest.raises(ValueError, match="channel"):
        _export(channel="email")
    with pytest.raises(ValueError, match="rows"):
        _export(rows=-1)


def test_since_is_an_iso_local_date_and_defaults_to_thirty_days_back() -> None:
    assert parse_since(" 2026-11-01 ", TODAY) == date(2026, 11, 1)
    assert default_since(TODAY) == date(2026, 10, 29)
    with pytest.raises(InputRefused) as refused:
        parse_since("2026/11/01", TODAY)
    assert (refused.value.reason, refused.value.params["example"]) == ("date_format", "2026-11-28")
    with pytest.raises(InputRefused) as refused:
        parse_since("2026-02-30", TODAY)
    assert refused.value.reason == "date_not_real"
