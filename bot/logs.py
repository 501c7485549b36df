"""The one logging set-up: plain text lines (default) or one JSON object a line.

`CADREBOT_LOG_FORMAT=json` is for log collectors (Loki, Elasticsearch, journald): each line
has time, level, logger and message, and a line written while an update is handled also
carries that update's id, chat, cadre code and handler (bot.update_context); the one summary
line per update (bot.observing) adds duration_ms and outcome.

Every formatter, text or JSON, redacts what must never reach a log: a bot token (aiogram
and aiohttp may show request URLs, which hold it) and a mainland mobile number (a roster's
phone column, a note). Names are simply never logged at INFO.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Literal

from bot.update_context import current_update

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LogFormat = Literal["text", "json"]

BOT_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")
# 11 digits, 13x-19x, not part of a longer number (an id, a timestamp).
MOBILE_NUMBER = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
TOKEN_MASK = "<token>"
MOBILE_MASK = "<phone>"
# Extra fields a log call may pass (`extra=`) that the JSON line keeps.
EXTRA_FIELDS = ("duration_ms", "outcome")


def redact(text: str) -> str:
    """The text with bot tokens and mobile numbers masked."""
    return MOBILE_NUMBER.sub(MOBILE_MASK, BOT_TOKEN.sub(TOKEN_MASK, text))


class RedactingFormatter(logging.Formatter):
    """The usual text line, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the update's
    fields when one is being handled, and the exception's text if any; strings redacted."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        context = current_update()
        if context is not None:
            line.update(context.log_fields())
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = redact(record.exc_text)
        if record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def make_formatter(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else RedactingFormatter(LOG_FORMAT)


def configure_logging(verbose: bool, *, long_running: bool, log_format: LogFormat = "text") -> None:
    """Quiet by default (warnings and errors on stderr); --verbose adds migrations and SQL;
    `run` and `scheduler` log at INFO. A caller (a test) with its own handlers keeps them."""
    level = logging.INFO if verbose or long_running else logging.WARNING
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(make_formatter(log_format))
        root.addHandler(handler)
        root.setLevel(level)
        # Python's warnings as log lines too: in JSON every line must parse.
        logging.captureWarnings(True)
    logging.getLogger("alembic").setLevel(logging.INFO if verbose else logging.WARNING)
    # APScheduler logs every job run at INFO (the lease renewal every 20 s): too chatty.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # aiogram's line per update says less than ours (bot.observing: outcome, handler).
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
