"""The preview's spooled lines (UTF-8 bytes) reach standard output whatever it encodes."""

from __future__ import annotations

import io
import tempfile

import pytest

from bot.cli.reminders import copy_out

LINES = "ledger_deadline\t2026\t2026-11-30\t干部1\t⏰ 台账须于2026年11月30日前完成\n"


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_spooled_lines_come_out_in_stdouts_encoding(
    encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding=encoding)
    monkeypatch.setattr("sys.stdout", stdout)
    print("1 reminder at 2026-11-30 09:00 CST")  # written as text first, then the bytes
    with tempfile.SpooledTemporaryFile() as held:
        held.write(LINES.encode())
        held.seek(0)
        copy_out(held)
    stdout.flush()
    assert raw.getvalue().decode(encoding) == "1 reminder at 2026-11-30 09:00 CST\n" + LINES


def test_a_text_only_stdout_gets_the_lines_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = io.StringIO()  # no .buffer (a redirected or captured stream)
    monkeypatch.setattr("sys.stdout", stdout)
    with tempfile.SpooledTemporaryFile() as held:
        held.write(LINES.encode())
        held.seek(0)
        copy_out(held)
    assert stdout.getvalue() == LINES
