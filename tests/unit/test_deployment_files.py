"""The container and service files agree with the code: every command they run is one the
CLI accepts, every setting they set exists, every volume they name is declared, and the
Dockerfile, compose file and systemd units use the same health port and user."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import build_parser
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD = ROOT / "deploy" / "systemd"
# Images of others, each with the executables its commands may start.
KNOWN_IMAGES = {"postgres": {"postgres"}, "redis": {"redis-server"}}
HEALTH_PORT = "9108"
# What the image sets for Python and its libraries, not for cadrebot.
NOT_SETTINGS = {"PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "HOME", "MPLCONFIGDIR"}
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "RestrictSUIDSGID": "yes",
    "CapabilityBoundingSet": "",
}


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def ours(service: dict[str, Any]) -> bool:
    """A service running the image this project builds."""
    return "build" in service or str(service.get("image", "")).startswith("cadrebot")


def accepted(argv: list[str]) -> bool:
    """The CLI's own parser takes these arguments (it exits on anything else)."""
    try:
        build_parser().parse_args(argv)
    except SystemExit:
        return False
    return True


def setting_names() -> set[str]:
    return {field.alias or name for name, field in Settings.model_fields.items()}


def test_every_service_runs_a_command_that_exists() -> None:
    services = compose()["services"]
    commands = {}
    for name, service in services.items():
        command = service.get("command")
        if ours(service):
            assert isinstance(command, list), f"{name}: give the command as a list"
            assert accepted(command), f"{name}: `cadrebot {' '.join(command)}` is not a command"
            commands[name] = command
        else:
            image = str(service["image"]).split(":")[0]
            assert image in KNOWN_IMAGES, f"{name}: unknown image {image}"
            if command is not None:
                assert command[0] in KNOWN_IMAGES[image], f"{name}: {command[0]}?"
    assert commands == {"migrate": ["db", "upgrade"], "bot": ["run"], "scheduler": ["scheduler"]}
    assert not accepted(["scheduler", "--now"])  # the check can fail


def test_the_bot_leaves_reminders_to_the_scheduler_and_both_wait_for_the_schema() -> None:
    services = compose()["services"]
    assert services["bot"]["environment"]["CADREBOT_SCHEDULER"] == "off"
    assert "CADREBOT_SCHEDULER" not in services["scheduler"]["environment"]  # inline: its own
    for name in ("bot", "scheduler"):
        waits = services[name]["depends_on"]["migrate"]
        assert waits == {"condition": "service_completed_successfully"}, name
        assert services[name]["environment"]["CADREBOT_METRICS_PORT"] == HEALTH_PORT
        assert any(p.endswith(f":{HEALTH_PORT}") for p in services[name]["ports"]), name
    assert services["migrate"]["restart"] == "no"
    for name, service in services.items():
        for needed, condition in service.get("depends_on", {}).items():
            assert needed in services, f"{name} depends on a missing {needed}"
            if condition["condition"] == "service_healthy":
                assert "test" in services[needed]["healthcheck"], f"{needed}: no health check"


def test_settings_are_real_and_secrets_stay_out_of_the_file() -> None:
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    services = compose()["services"]
    known = setting_names()
    for name, service in services.items():
        if not ours(service):
            continue
        assert service["env_file"] == ".env", f"{name}: BOT_TOKEN comes from .env"
        unknown = set(service["environment"]) - known
        assert not unknown, f"{name}: no such setting {sorted(unknown)}"
        assert not {"BOT_TOKEN", "CADREBOT_WEBHOOK_SECRET"} & set(service["environment"])
    assert not re.search(r"\d{6,}:[A-Za-z0-9_-]{30,}", text), "a bot token in compose.yaml"
    # The database password is compose's variable, never a value written here.
    url = services["bot"]["environment"]["DATABASE_URL"]
    assert "${POSTGRES_PASSWORD:?" in url
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${")


def test_every_named_volume_is_declared_and_used() -> None:
    loaded = compose()
    declared = set(loaded["volumes"])
    used = set()
    for name, service in loaded["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith((".", "/", "~")):
                continue  # a folder of the host, not a named volume
            assert source in declared, f"{name}: volume {source} is not declared"
            used.add(source)
    assert used == declared
    bot = {v.split(":")[1] for v in loaded["services"]["bot"]["volumes"]}
    env = loaded["services"]["bot"]["environment"]
    assert {env["CADREBOT_EVIDENCE_DIR"], env["CADREBOT_REPORTS_DIR"]} <= bot


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments left out."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_the_dockerfile_runs_the_cli_as_a_user_with_a_health_check() -> None:
    steps = dockerfile()
    last = {instruction: arguments for instruction, arguments in steps}
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    entrypoint = json.loads(last["ENTRYPOINT"])
    assert entrypoint == ["cadrebot"] and "cadrebot" in scripts
    assert accepted(json.loads(last["CMD"]))
    assert last["USER"] not in ("root", "0")
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in " ".join(f"{i} {a}" for i, a in steps[:1])
    installs = [a for i, a in steps if i == "RUN" and "pip install" in a]
    assert installs and all("[dev]" not in a and " -e " not in a for a in installs)
    assert any("fonts-wqy-microhei" in a for i, a in steps if i == "RUN")
    health = last["HEALTHCHECK"]
    assert "/healthz" in health and "urllib.request" in health and "curl" not in health
    assert "CADREBOT_METRICS_PORT" in health and f"'{HEALTH_PORT}'" in health
    assert f"CADREBOT_METRICS_PORT={HEALTH_PORT}" in last["ENV"]
    env = dict(re.findall(r"(\w+)=(\S+)", last["ENV"]))
    assert set(env) - NOT_SETTINGS <= setting_names()


def test_the_build_context_holds_every_package_and_no_secret() -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line for line in lines if line and not line.startswith("#")]
    assert patterns[0] == "*"  # everything out (.env, databases, .venv) unless let in below
    let_in = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]["packages"]["find"]["include"]
    assert {p.rstrip("*") for p in packages} | {"pyproject.toml", "README.md"} == let_in


def unit(path: Path) -> dict[str, list[str]]:
    """A systemd unit's settings, each key with all its values (keys may repeat)."""
    values: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


@pytest.mark.parametrize(
    "name", ["cadrebot.service", "cadrebot-scheduler.service", "cadrebot-migrate.service"]
)
def test_systemd_units_run_cli_commands_hardened(name: str) -> None:
    values = unit(SYSTEMD / name)
    [start] = values["ExecStart"]
    program, *argv = shlex.split(start)
    assert program == "/opt/cadrebot/bin/cadrebot" and accepted(argv), start
    assert values["User"] == ["cadrebot"]
    for key, wanted in HARDENING.items():
        assert values.get(key) == [wanted], f"{name}: {key}={wanted}"
    environment = dict(v.split("=", 1) for v in values.get("Environment", []))
    assert set(environment) <= setting_names()
    if name != "cadrebot-migrate.service":
        assert values["Requires"] == ["cadrebot-migrate.service"]
        assert values["StateDirectory"] == ["cadrebot"]
        assert "CADREBOT_METRICS_PORT" in environment
    if name == "cadrebot.service":
        assert environment["CADREBOT_SCHEDULER"] == "off"


def test_the_backup_timer_starts_the_backup_service() -> None:
    timer = unit(SYSTEMD / "cadrebot-backup.timer")
    [service] = timer["Unit"]
    values = unit(SYSTEMD / service)
    assert values["ExecStart"] == ["/usr/local/bin/cadrebot-backup"]
    assert values["User"] == ["cadrebot"]
    assert values["ReadWritePaths"] == [values["Environment"][0].split("=", 1)[1]]
    for key, wanted in HARDENING.items():
        assert values.get(key) == [wanted], f"{service}: {key}={wanted}"
