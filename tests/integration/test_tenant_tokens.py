"""County bot tokens at rest: stored encrypted (Fernet, CADREBOT_TOKEN_KEYS) and read back,
a plain-text row of before keys still read (and `cadrebot doctor` warns), a wrong or missing
key refused naming the county and the setting (never a token or key), `tenant
encrypt-tokens` encrypting plain rows and rotating to a new first key in one transaction,
`tenant set-token` replacing a county's token (another county's bot refused), and migration
0009 on a registry that already holds counties (bot_id filled; downgrade)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.cli import main
from domain.tenancy import TenantRefused
from storage.db import make_engine
from storage.migrate import alembic_config, upgrade_sync
from storage.tenancy import find_county, list_counties, make_county_engine
from storage.token_vault import is_fernet_key, is_sealed
from tests.integration.test_cli import run
from tests.integration.test_tenancy import COUNTIES, deployment  # noqa: F401 - the fixture

KEYS = "CADREBOT_TOKEN_KEYS"


def _key() -> str:
    return Fernet.generate_key().decode()


def _add(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, slug: str, *extra: str
) -> tuple[int, str, str]:
    name, region, token = COUNTIES[slug]
    token_file = tmp_path / f"{slug}.token"
    token_file.write_text(token + "\n", encoding="utf-8")
    return run(
        capsys, "tenant", "add", slug, "--name", name, "--region", region,
        "--token-file", str(token_file), *extra,
    )  # fmt: skip


def _set_token(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, slug: str, token: str, *extra: str
) -> tuple[int, str, str]:
    token_file = tmp_path / "new.token"
    token_file.write_text(token, encoding="utf-8")
    return run(capsys, "tenant", "set-token", slug, "--token-file", str(token_file), *extra)


async def _query(url: str, sql: str, **params: Any) -> list[Any]:
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            return list((await connection.execute(text(sql), params)).all())
    finally:
        await engine.dispose()


def _raw(url: str) -> dict[str, tuple[int, str]]:
    """slug -> (bot_id, bot_token) as the registry stores them: what a dump would hold."""
    rows = asyncio.run(_query(url, "SELECT slug, bot_id, bot_token FROM cadrebot_tenancy.tenants"))
    return {slug: (bot_id, stored) for slug, bot_id, stored in rows}


async def _tokens(url: str, keys: tuple[str, ...] | None) -> dict[str, str | None]:
    engine = make_county_engine(url)
    try:
        return {c.slug: c.bot_token for c in await list_counties(engine, keys)}
    finally:
        await engine.dispose()


async def _found(url: str, slug: str, keys: tuple[str, ...]) -> str | None:
    engine = make_county_engine(url)
    try:
        return (await find_county(engine, slug, keys)).bot_token
    finally:
        await engine.dispose()


def _refusal(url: str, keys: tuple[str, ...]) -> TenantRefused:
    with pytest.raises(TenantRefused) as refused:
        asyncio.run(_tokens(url, keys))
    return refused.value


def test_tokens_are_stored_encrypted_and_read_back(
    deployment: str,  # noqa: F811 - the fixture
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = _key()
    monkeypatch.setenv(KEYS, key)
    for slug in COUNTIES:
        code, out, err = _add(capsys, tmp_path, slug)
        assert code == 0, err
        assert "token encrypted" in out and COUNTIES[slug][2] not in out
    raw = _raw(deployment)
    for slug, (_name, _region, token) in COUNTIES.items():
        bot_id, stored = raw[slug]
        assert bot_id == int(token.split(":")[0])
        assert is_sealed(stored) and token not in stored and token.split(":")[1] not in stored
    # Each write is a new ciphertext: the same token twice is not the same stored value.
    assert raw["zhenxiong"][1] != raw["weixin"][1]
    tokens = {slug: token for slug, (_n, _r, token) in COUNTIES.items()}
    assert asyncio.run(_tokens(deployment, (key,))) == tokens
    assert asyncio.run(_found(deployment, "weixin", (key,))) == tokens["weixin"]
    # Without keys asked for, no token is read at all (db upgrade, regional reports).
    assert asyncio.run(_tokens(deployment, None)) == dict.fromkeys(COUNTIES)
    code, out, _ = run(capsys, "tenant", "list")
    assert code == 0 and "plain text" not in out and "bot 555001" in out
    # A county's command decrypts its token with the setting's keys.
    assert run(capsys, "--tenant", "zhenxiong", "report", "compliance")[0] == 0
    code, out, _ = run(capsys, "--tenant", "zhenxiong", "doctor")
    assert "ok       county tokens   the bot tokens of 2 counties are encrypted" in out


def test_without_keys_add_refuses_unless_plain_and_a_plain_row_still_loads(
    deployment: str,  # noqa: F811 - the fixture
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(KEYS)
    code, _, err = _add(capsys, tmp_path, "zhenxiong")
    assert code == 1
    assert KEYS in err and "cadrebot tenant new-key" in err and "--plain-token" in err
    assert _raw(deployment) == {}
    code, out, err = _add(capsys, tmp_path, "zhenxiong", "--plain-token")
    assert code == 0, err
    assert "token in plain text" in out
    token = COUNTIES["zhenxiong"][2]
    assert _raw(deployment) == {"zhenxiong": (555001, token)}  # as before keys existed
    assert asyncio.run(_tokens(deployment, ())) == {"zhenxiong": token}
    code, out, _ = run(capsys, "tenant", "list")
    assert "(token in plain text)" in out
    code, out, _ = run(capsys, "--tenant", "zhenxiong", "doctor")
    [warning] = [line for line in out.splitlines() if "county tokens" in line]
    assert warning.startswith("WARNING") and "(zhenxiong) are stored in plain text" in warning
    assert "fix: cadrebot tenant new-key" in out and token not in out
    # Keys set later: the plain row is still read (the deployment keeps running).
    key = _key()
    monkeypatch.setenv(KEYS, key)
    assert asyncio.run(_tokens(deployment, (key,))) == {"zhenxiong": token}
    assert run(capsys, "--tenant", "zhenxiong", "report", "compliance")[0] == 0
    code, out, _ = run(capsys, "--tenant", "zhenxiong", "doctor")
    assert "fix: cadrebot tenant encrypt-tokens" in out and "WARNING  county tokens" in out


def test_a_wrong_or_missing_key_refuses_naming_the_county(
    deployment: str,  # noqa: F811 - the fixture
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key, wrong = _key(), _key()
    monkeypatch.setenv(KEYS, key)
    assert _add(capsys, tmp_path, "zhenxiong")[0] == 0
    token = COUNTIES["zhenxiong"][2]
    refused = _refusal(deployment, (wrong,))
    assert refused.reason == "tenant_token_wrong_key" and refused.params == {"slug": "zhenxiong"}
    assert _refusal(deployment, ()).reason == "tenant_token_no_key"
    for keys, words in ((wrong, "No key of CADREBOT_TOKEN_KEYS opens county zhenxiong"),
                        (None, "county zhenxiong's bot token is stored encrypted, but "
                               "CADREBOT_TOKEN_KEYS is not set")):  # fmt: skip
        if keys is None:
            monkeypatch.delenv(KEYS)
        else:
            monkeypatch.setenv(KEYS, keys)
        # The bot refuses at start, before it asks Telegram anything; so does a command.
        for argv in (["run"], ["--tenant", "zhenxiong", "report", "compliance"]):
            code, out, err = run(capsys, *argv)
            assert code == 1 and out == "", err
            assert words.lower() in err.lower(), err
            assert token not in err and key not in err and wrong not in err
        code, out, _ = run(capsys, "--tenant", "zhenxiong", "doctor")
        assert code == 1
        [line] = [line for line in out.splitlines() if "county tokens" in line]
        assert line.startswith("MISSING") and "(zhenxiong) are encrypted" in line
        assert token not in out and key not in out and wrong not in out
    # What needs no token still works without the key: the schemas, and the registry's list.
    assert run(capsys, "db", "upgrade")[0] == 0
    assert run(capsys, "tenant", "list")[0] == 0


def test_encrypt_tokens_encrypts_plain_rows_and_rotates_keys(
    deployment: str,  # noqa: F811 - the fixture
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old, new = _key(), _key()
    tokens = {slug: token for slug, (_n, _r, token) in COUNTIES.items()}
    monkeypatch.delenv(KEYS)
    assert _add(capsys, tmp_path, "zhenxiong", "--plain-token")[0] == 0
    code, _, err = run(capsys, "tenant", "encrypt-tokens")
    assert code == 1 and KEYS in err and "new-key" in err
    monkeypatch.setenv(KEYS, old)
    assert _add(capsys, tmp_path, "weixin")[0] == 0
    code, out, err = run(capsys, "tenant", "encrypt-tokens")
    assert code == 0, err
    assert out.startswith("2 county bot tokens encrypted")
    assert "(1 of them in plain text before)" in out
    raw = _raw(deployment)
    assert all(is_sealed(stored) for _id, stored in raw.values())
    assert asyncio.run(_tokens(deployment, (old,))) == tokens

    # Rotation: the new key first, the old one after it: both still decrypt before.
    monkeypatch.setenv(KEYS, f"{new}, {old}")
    assert asyncio.run(_tokens(deployment, (new, old))) == tokens
    assert _refusal(deployment, (new,)).reason == "tenant_token_wrong_key"
    code, out, _ = run(capsys, "--tenant", "zhenxiong", "doctor")
    assert "encrypted with a key other than the first" in out and "WARNING  county tokens" in out
    code, out, err = run(capsys, "tenant", "encrypt-tokens")
    assert code == 0, err
    assert "2 county bot tokens encrypted" in out and "(0 of them in plain text before)" in out
    assert asyncio.run(_tokens(deployment, (new,))) == tokens  # the first key alone
    assert _refusal(deployment, (old,)).reason == "tenant_token_wrong_key"

    # One transaction: a county no key opens leaves every row as it was.
    monkeypatch.setenv(KEYS, old)
    assert _set_token(capsys, tmp_path, "weixin", tokens["weixin"])[0] == 0  # under `old`
    before = _raw(deployment)
    monkeypatch.setenv(KEYS, new)
    code, _, err = run(capsys, "tenant", "encrypt-tokens")
    assert code == 1 and "opens county weixin" in err
    assert _raw(deployment) == before


def test_set_token_replaces_a_countys_token_and_refuses_another_countys_bot(
    deployment: str,  # noqa: F811 - the fixture
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = _key()
    monkeypatch.setenv(KEYS, key)
    for slug in COUNTIES:
        assert _add(capsys, tmp_path, slug)[0] == 0
    # Telegram revoked the token: a new one of the same bot.
    code, out, err = _set_token(capsys, tmp_path, "zhenxiong", "555001:revoked-and-new")
    assert code == 0, err
    assert "county zhenxiong (镇雄县): new bot token stored, bot id 555001" in out
    assert "restart `cadrebot run`" in out and "revoked-and-new" not in out
    # Another bot altogether: the bot id follows.
    code, out, err = _set_token(capsys, tmp_path, "zhenxiong", "555009:another-bot")
    assert code == 0 and "bot id 555009" in out, err
    bot_id, stored = _raw(deployment)["zhenxiong"]
    assert bot_id == 555009 and is_sealed(stored) and "another-bot" not in stored
    assert asyncio.run(_found(deployment, "zhenxiong", (key,))) == "555009:another-bot"
    before = _raw(deployment)
    # The token of weixin's bot: refused naming weixin, nothing changed.
    code, _, err = _set_token(capsys, tmp_path, "zhenxiong", "555002:county-b-token")
    assert code == 1 and "already serves county weixin" in err and "one county per bot" in err
    assert "county-b-token" not in err
    code, _, err = _set_token(capsys, tmp_path, "nosuch", "555010:x")
    assert code == 1 and "Rule: a registered county" in err
    code, _, err = _set_token(capsys, tmp_path, "zhenxiong", "not a token")
    assert code == 1 and "Rule: bot token" in err
    code, _, err = run(
        capsys, "tenant", "set-token", "zhenxiong", "--token-file", str(tmp_path / "missing")
    )
    assert code == 1 and "Rule: a readable token file" in err
    monkeypatch.delenv(KEYS)
    code, _, err = _set_token(capsys, tmp_path, "zhenxiong", "555001:plain")
    assert code == 1 and KEYS in err
    assert _raw(deployment) == before
    code, out, err = _set_token(capsys, tmp_path, "zhenxiong", "555001:plain", "--plain-token")
    assert code == 0 and "token in plain text" in out, err
    assert _raw(deployment)["zhenxiong"] == (555001, "555001:plain")


def test_migration_0009_upgrades_a_registry_that_holds_counties(
    deployment: str,  # noqa: F811 - the fixture
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    upgrade_sync(deployment, "0008")
    insert = (
        "INSERT INTO cadrebot_tenancy.tenants (slug, name, region, bot_token, created_at) "
        "VALUES (:slug, :name, '云南省/昭通市', :token, now())"
    )
    for slug, (name, _region, token) in COUNTIES.items():
        asyncio.run(_query(deployment, insert + " RETURNING slug", slug=slug, name=name,
                           token=token))  # fmt: skip
    upgrade_sync(deployment)
    raw = _raw(deployment)
    assert raw == {
        slug: (int(token.split(":")[0]), token) for slug, (_n, _r, token) in COUNTIES.items()
    }
    columns = dict(
        asyncio.run(
            _query(
                deployment,
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'cadrebot_tenancy' AND table_name = 'tenants'",
            )
        )
    )
    assert columns["bot_id"] == "bigint" and columns["bot_token"] == "text"
    tokens = {slug: token for slug, (_n, _r, token) in COUNTIES.items()}
    assert asyncio.run(_tokens(deployment, ())) == tokens  # still read, without keys
    # One bot, one county: bot_id is unique now; the same stored text twice is allowed.
    with pytest.raises(IntegrityError, match="uq_tenants_bot_id"):
        asyncio.run(
            _query(
                deployment,
                "INSERT INTO cadrebot_tenancy.tenants (slug, name, region, bot_id, bot_token, "
                "created_at) VALUES ('other', '甲县', '云南省', 555001, 'x', now()) RETURNING 1",
            )
        )

    # Downgrade: back to 0008's table while every token is plain text.
    command.downgrade(alembic_config(deployment), "0008")
    assert "bot_id" not in dict(
        asyncio.run(
            _query(
                deployment,
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'cadrebot_tenancy' AND table_name = 'tenants'",
            )
        )
    )
    upgrade_sync(deployment)
    assert _raw(deployment) == raw
    # With a token encrypted, the downgrade refuses, naming the county, and changes nothing.
    code, _, err = _set_token(capsys, tmp_path, "weixin", tokens["weixin"])
    assert code == 0, err
    with pytest.raises(RuntimeError, match="counties weixin are encrypted"):
        command.downgrade(alembic_config(deployment), "0008")
    assert asyncio.run(_query(deployment, "SELECT version_num FROM alembic_version")) == [("0009",)]


def test_migration_0009_refuses_two_tokens_of_one_bot(
    deployment: str,  # noqa: F811 - the fixture
) -> None:
    upgrade_sync(deployment, "0008")
    insert = (
        "INSERT INTO cadrebot_tenancy.tenants (slug, name, region, bot_token, created_at) "
        "VALUES (:slug, '甲县', '云南省', :token, now()) RETURNING slug"
    )
    asyncio.run(_query(deployment, insert, slug="one", token="555001:first"))
    asyncio.run(_query(deployment, insert, slug="two", token="555001:second"))
    with pytest.raises(RuntimeError, match=r"counties one and two have tokens of the same bot"):
        upgrade_sync(deployment)


def test_keys_are_checked_at_start_naming_the_setting_never_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'one.sqlite3'}")
    good = _key()
    bad = good[:-2] + "!!"
    monkeypatch.setenv(KEYS, f"{good},{bad}")
    code, out, err = run(capsys, "tenant", "list")
    assert code == 2 and out == ""
    assert "CADREBOT_TOKEN_KEYS" in err and "key 2 of 2 is not a Fernet key" in err
    assert good not in err and bad not in err
    # `tenant new-key` makes one, touching no database.
    monkeypatch.delenv(KEYS)
    code, out, _ = run(capsys, "tenant", "new-key")
    assert code == 0 and is_fernet_key(out.strip())
    Fernet(out.strip().encode())  # cryptography agrees
    monkeypatch.setenv(KEYS, f" {out.strip()} ,{good},")  # spaces, a trailing comma
    assert main(["tenant", "new-key"]) == 0
    assert not (tmp_path / "one.sqlite3").exists()
