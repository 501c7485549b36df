"""/healthz and /readyz: ready only while the database answers, every schema is at the
migration scripts' head and Redis (when configured) answers; the body says which check
failed and whether this process holds the scheduler lease."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.app import build_app
from bot.metrics import Metrics
from bot.monitoring import Monitoring, MonitoringServer, app_monitoring
from bot.settings import load_settings
from domain.clock import FixedClock
from storage.db import make_engine
from storage.migrate import script_heads
from tests.e2e.conftest import NOW, TOKEN
from tests.e2e.monitoring_helpers import get_json
from tests.postgres import PG_ADMIN_URL, database_url, pg_admin
from tests.tcp_proxy import TcpProxy

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def pg_database() -> AsyncIterator[str]:
    """A fresh PostgreSQL database's URL (skipped, with the reason, if none answers)."""
    name = f"cadrebot_health_{secrets.token_hex(4)}"
    try:
        await asyncio.wait_for(pg_admin(f'CREATE DATABASE "{name}"'), timeout=10)
    except Exception as error:  # noqa: BLE001 - unreachable server, refused auth, ...
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {error!r}")
    try:
        yield database_url(name)
    finally:
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def set_stamp(url: str, revision: str, schema: str | None = None) -> None:
    """Stamp the schema with `revision`, as a database restored from an old backup is."""
    table = f'"{schema}".alembic_version' if schema else "alembic_version"
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"UPDATE {table} SET version_num = :r"), {"r": revision})
    finally:
        await engine.dispose()


async def serve(monitoring: Monitoring) -> MonitoringServer:
    server = MonitoringServer(monitoring, "127.0.0.1", 0)
    await server.start()
    return server


async def test_readyz_follows_the_database_the_schema_and_redis(pg_database: str) -> None:
    target = make_url(pg_database)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.start()
    through_proxy = target.set(host="127.0.0.1", port=proxy.port)
    settings = load_settings(
        BOT_TOKEN=TOKEN,
        DATABASE_URL=through_proxy.render_as_string(hide_password=False),
        REDIS_URL=REDIS_URL,
        _env_file=None,
    )
    clock = FixedClock(NOW)
    app = await build_app(settings, clock=clock, metrics=Metrics())
    assert app.reminders is not None
    await app.reminders.scheduler.hold_lease()  # as the running bot's scheduler does
    server = await serve(app_monitoring(app, clock, check_timeout=2))
    assert server.url is not None
    ready, alive = f"{server.url}/readyz", f"{server.url}/healthz"
    heads = sorted(script_heads())
    try:
        status, body = await get_json(ready)
        assert status == 200, body
        assert body["ready"] is True
        assert body["checks"]["database"] == {"ok": True}
        assert body["checks"]["schema"] == {
            "ok": True,
            "heads": heads,
            "schemas": {"default": heads},
            "not_at_head": [],
        }
        assert body["checks"]["redis"] == {"ok": True}
        assert body["leases"] == [{"county": None, "held": True}]

        proxy.cut()  # the database goes away
        status, body = await get_json(ready)
        assert status == 503
        assert body["ready"] is False and body["checks"]["database"]["ok"] is False
        assert body["checks"]["schema"]["ok"] is False
        assert body["checks"]["redis"] == {"ok": True}
        assert await get_json(alive) == (200, {"alive": True})  # alive all the while

        proxy.restore()  # and comes back: the pool replaces its dead connections
        status, body = await get_json(ready)
        assert status == 200 and body["checks"]["database"] == {"ok": True}, body

        await set_stamp(pg_database, "0001")  # an old backup restored under the bot
        status, body = await get_json(ready)
        assert status == 503
        assert body["checks"]["database"] == {"ok": True}
        assert body["checks"]["schema"]["not_at_head"] == ["default"]
        assert body["checks"]["schema"]["schemas"] == {"default": ["0001"]}
        await set_stamp(pg_database, heads[0])
        assert (await get_json(ready))[0] == 200

        # REDIS_URL set and no Redis there: not ready, and said so.
        gone = Monitoring(
            app.metrics or Metrics(),
            app.engine,
            [],
            clock,
            redis_url="redis://127.0.0.1:1/0",
            check_timeout=2,
        )
        status, body = await readiness_of(gone)
        assert status == 503 and body["checks"]["redis"]["ok"] is False
        assert body["checks"]["database"] == {"ok": True}
    finally:
        await server.stop()
        await app.close()
        await proxy.stop()


async def readiness_of(monitoring: Monitoring) -> tuple[int, dict[str, object]]:
    server = await serve(monitoring)
    try:
        return await get_json(f"{server.url}/readyz")
    finally:
        await server.stop()


async def test_a_lease_held_elsewhere_is_shown_and_does_not_make_it_unready(
    pg_database: str,
) -> None:
    settings = load_settings(BOT_TOKEN=TOKEN, DATABASE_URL=pg_database, _env_file=None)
    clock = FixedClock(NOW)
    holder = await build_app(settings, clock=clock)
    standby = await build_app(settings, clock=clock, metrics=Metrics())
    try:
        assert holder.reminders is not None and standby.reminders is not None
        assert await holder.reminders.scheduler.hold_lease()
        assert not await standby.reminders.scheduler.hold_lease()
        status, body = await readiness_of(app_monitoring(standby, clock))
        assert status == 200
        assert body["leases"] == [{"county": None, "held": False}]
        assert body["checks"]["redis"]["ok"] is True  # not configured: nothing to wait for
        clock.set(NOW + timedelta(minutes=5))  # the holder stopped renewing: taken over
        assert await standby.reminders.scheduler.hold_lease()
        status, body = await readiness_of(app_monitoring(standby, clock))
        assert body["leases"] == [{"county": None, "held": True}]
    finally:
        await holder.close()
        await standby.close()
