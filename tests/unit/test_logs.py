"""Log lines: text or one JSON object a line, the update's fields when one is handled, and
never a bot token or a mobile number, whichever formatter writes them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import JsonFormatter, RedactingFormatter, make_formatter, redact
from bot.update_context import UpdateContext, note_cadre, note_handler, update_context

TOKEN = "7123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw8"
PHONE = "13912345678"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, logging.StreamHandler[io.StringIO]]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("tests.unit.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield logger, stream, handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def test_tokens_and_mobile_numbers_are_masked_and_other_numbers_kept() -> None:
    line = f"POST https://api.telegram.org/bot{TOKEN}/sendMessage to {PHONE}, update 8613912345678"
    masked = redact(line)
    assert TOKEN not in masked and PHONE not in masked.replace("8613912345678", "")
    assert "/bot<token>/sendMessage" in masked and "to <phone>," in masked
    # Longer numbers (an id, 86 and the number run together) are not cut into.
    assert "8613912345678" in masked
    assert redact("update 1234567890 chat 12912345678") == "update 1234567890 chat 12912345678"


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_every_formatter_redacts_message_and_exception(
    captured: tuple[logging.Logger, io.StringIO, logging.StreamHandler[io.StringIO]],
    log_format: str,
) -> None:
    logger, stream, handler = captured
    handler.setFormatter(make_formatter(log_format))  # type: ignore[arg-type]
    logger.warning("request failed: %r", f"https://x/bot{TOKEN}/getMe (call {PHONE})")
    try:
        raise RuntimeError(f"bad gateway for bot{TOKEN}, caller {PHONE}")
    except RuntimeError:
        logger.exception("boom")
    out = stream.getvalue()
    assert TOKEN not in out and PHONE not in out
    assert out.count("<token>") == 2 and out.count("<phone>") == 2


def test_json_lines_carry_the_update_being_handled(
    captured: tuple[logging.Logger, io.StringIO, logging.StreamHandler[io.StringIO]],
) -> None:
    logger, stream, handler = captured
    handler.setFormatter(JsonFormatter())
    logger.info("before any update")
    with update_context(UpdateContext(42, "message", 1001, county="jia")):
        note_cadre("C1")
        note_handler("visits.visit_line")
        logger.info("handled", extra={"duration_ms": 12.5, "outcome": "ok"})
    logger.info("after it")
    before, during, after = (json.loads(line) for line in stream.getvalue().splitlines())
    assert set(before) == {"time", "level", "logger", "message"}
    assert before["level"] == "INFO" and before["logger"] == "tests.unit.logs"
    assert before["time"].endswith("+00:00")
    assert during == {
        "time": during["time"],
        "level": "INFO",
        "logger": "tests.unit.logs",
        "message": "handled",
        "update_id": 42,
        "update_kind": "message",
        "chat_id": 1001,
        "county": "jia",
        "cadre_code": "C1",
        "handler": "visits.visit_line",
        "duration_ms": 12.5,
        "outcome": "ok",
    }
    assert set(after) == set(before)


def test_text_lines_keep_the_usual_shape(
    captured: tuple[logging.Logger, io.StringIO, logging.StreamHandler[io.StringIO]],
) -> None:
    logger, stream, handler = captured
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    logger.info("polling as @%s", "cadrebot_sandbox_bot")
    assert stream.getvalue() == "INFO tests.unit.logs: polling as @cadrebot_sandbox_bot\n"
