"""Webhook mode's settings: a bad combination stops the start, naming the variable."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.cli import _settings_problem
from bot.settings import load_settings

WEBHOOK = {
    "CADREBOT_MODE": "webhook",
    "CADREBOT_WEBHOOK_URL": "https://bot.example.org",
    "CADREBOT_WEBHOOK_SECRET": "a-Secret_1",
}


def problem(**values: object) -> str:
    with pytest.raises(ValidationError) as caught:
        load_settings(_env_file=None, **values)
    return _settings_problem(caught.value)


def test_polling_is_the_default_and_needs_no_webhook_settings() -> None:
    settings = load_settings(_env_file=None)
    assert settings.mode == "polling"
    assert settings.webhook_secret is None


def test_webhook_mode_with_url_and_secret() -> None:
    settings = load_settings(_env_file=None, **WEBHOOK, CADREBOT_WEBHOOK_PORT=9000)
    assert settings.mode == "webhook"
    assert settings.webhook_url == "https://bot.example.org"
    assert settings.webhook_port == 9000
    assert settings.webhook_max_connections == 40


@pytest.mark.parametrize("missing", ["CADREBOT_WEBHOOK_SECRET", "CADREBOT_WEBHOOK_URL"])
def test_webhook_mode_refuses_to_start_without_secret_or_url(missing: str) -> None:
    values = {k: v for k, v in WEBHOOK.items() if k != missing}
    assert f"{missing}: Value error, is required when CADREBOT_MODE=webhook" in problem(**values)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CADREBOT_WEBHOOK_SECRET", "has space"),
        ("CADREBOT_WEBHOOK_SECRET", "x" * 257),
        ("CADREBOT_WEBHOOK_URL", "bot.example.org"),
        ("CADREBOT_WEBHOOK_MAX_CONNECTIONS", 0),
        ("CADREBOT_WEBHOOK_MAX_CONNECTIONS", 101),
        ("CADREBOT_WEBHOOK_PORT", 70000),
        ("CADREBOT_MODE", "push"),
    ],
)
def test_bad_webhook_values_are_named(name: str, value: object) -> None:
    assert f"  {name}: " in problem(**{**WEBHOOK, name: value})
