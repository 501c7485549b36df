"""The monitoring server of `cadrebot run` and `cadrebot scheduler` (CADREBOT_METRICS_PORT):

- `GET /metrics`: Prometheus' text format (bot.metrics); the outbox gauges are read from
  the database just before (at most every `refresh_every` seconds, whatever the scrapers).
- `GET /healthz`: 200 while the process is alive (its event loop answers).
- `GET /readyz`: 200 only when the database answers, every schema it serves (the
  deployment's and each county's) is stamped at the migration scripts' heads, and Redis
  answers when REDIS_URL is set; 503 otherwise. The JSON body names each check and says
  whether this process holds each scheduler lease. A deployment of counties adds `tokens`:
  the counties left out because Telegram refused their bot token, ready while any is served.

Everything is asynchronous: the checks go through the app's own engine (asyncpg or
aiosqlite) and redis' asyncio client, each bounded by a timeout, so a database that hangs
makes /readyz answer 503 rather than hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.listening import listen
from bot.metrics import Metrics
from bot.settings import Settings
from domain.clock import Clock
from domain.reminders import QuietHours
from services.monitoring import outbox_snapshot
from storage.migrate import script_heads
from storage.monitoring import schema_stamps

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.app import App
    from bot.county_app import CountiesApp
    from reminders.scheduler import ReminderService

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 3.0  # seconds for each readiness check
REFRESH_EVERY = 10.0  # seconds between two readings of the outbox


@dataclass(frozen=True)
class CountyWatch:
    """One county's part (the one county's, with `county` empty): its outbox, its schema
    and, when its reminders run in this process, its lease."""

    county: str
    sessionmaker: async_sessionmaker[AsyncSession]
    tz: ZoneInfo
    quiet: QuietHours | None
    schema: str | None = None  # None: the connection's own (a one-county deployment)
    holds_lease: Callable[[], bool] | None = None

    @classmethod
    def of(
        cls,
        county: str,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        reminders: ReminderService | None,
        schema: str | None = None,
    ) -> CountyWatch:
        holds = reminders.scheduler.holds_lease if reminders is not None else None
        return cls(county, sessionmaker, settings.tz, settings.quiet, schema, holds)


class Monitoring:
    """What the server's three endpoints read."""

    def __init__(
        self,
        metrics: Metrics,
        engine: AsyncEngine,
        watches: Sequence[CountyWatch],
        clock: Clock,
        *,
        redis_url: str | None = None,
        deployment_schema: str | None = None,
        tokens: Callable[[], dict[str, Any]] | None = None,
        refresh_every: float = REFRESH_EVERY,
        check_timeout: float = CHECK_TIMEOUT,
    ) -> None:
        self.metrics = metrics
        self.engine = engine
        self.watches = list(watches)
        self.clock = clock
        # A deployment of counties: its own schema holds the registry ("public").
        self.schemas: list[str | None] = [watch.schema for watch in self.watches]
        if deployment_schema:
            self.schemas.insert(0, deployment_schema)
        # A deployment of counties: whose bot token Telegram refused (CountiesApp.tokens_check).
        self.tokens = tokens
        self.refresh_every = refresh_every
        self.check_timeout = check_timeout
        self._redis: Redis | None = None
        if redis_url:
            from redis.asyncio import Redis

            self._redis = Redis.from_url(redis_url)
        self._refreshed_at: float | None = None
        self._refreshing = asyncio.Lock()
        self._outbox_failing = False

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    async def refresh_outbox(self) -> None:
        """Read each county's outbox into the gauges, unless done lately; a database that
        fails leaves the last values (and /readyz says why)."""
        async with self._refreshing:
            now = time.monotonic()
            if self._refreshed_at is not None and now - self._refreshed_at < self.refresh_every:
                return
            try:
                for watch in self.watches:
                    await asyncio.wait_for(self._read_outbox(watch), self.check_timeout)
            except Exception as error:  # noqa: BLE001 - a scrape still gets the rest
                if not self._outbox_failing:
                    logger.warning("could not read the outbox for /metrics (%r)", error)
                self._outbox_failing = True
                return
            if self._outbox_failing:
                logger.info("the outbox is read for /metrics again")
            self._outbox_failing = False
            self._refreshed_at = time.monotonic()

    async def _read_outbox(self, watch: CountyWatch) -> None:
        async with watch.sessionmaker() as session:
            found = await outbox_snapshot(session, self.clock.now(), watch.quiet, watch.tz)
        self.metrics.set_outbox(watch.county, found.counts, found.oldest_pending_age)

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        """(ready, the JSON body): each check, and the leases this process holds."""
        database = await self._check(self._database())
        if database["ok"]:
            schema = await self._check(self._schemas())
        else:
            schema = {"ok": False, "detail": "the database does not answer"}
        redis: dict[str, Any] = (
            await self._check(self._redis_ping())
            if self._redis is not None
            else {"ok": True, "detail": "not used by this process"}
        )
        checks = {"database": database, "schema": schema, "redis": redis}
        if self.tokens is not None:
            checks["tokens"] = self.tokens()
        ready = all(check["ok"] for check in checks.values())
        leases = [
            {"county": watch.county or None, "held": watch.holds_lease()}
            for watch in self.watches
            if watch.holds_lease is not None
        ]
        return ready, {"ready": ready, "checks": checks, "leases": leases}

    async def _check(self, probe: Any) -> dict[str, Any]:
        try:
            return dict(await asyncio.wait_for(probe, self.check_timeout))
        except TimeoutError:
            return {"ok": False, "detail": f"no answer within {self.check_timeout:g} s"}
        except Exception as error:  # noqa: BLE001 - any failure is "not ready", named
            return {"ok": False, "detail": _first_line(error)}

    async def _database(self) -> dict[str, Any]:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return {"ok": True}

    async def _schemas(self) -> dict[str, Any]:
        heads = await asyncio.to_thread(script_heads)  # cached after the first read
        stamps = await schema_stamps(self.engine, self.schemas)
        behind = sorted(schema or "default" for schema, found in stamps.items() if found != heads)
        return {
            "ok": bool(heads) and not behind,
            "heads": sorted(heads),
            "schemas": {schema or "default": sorted(found) for schema, found in stamps.items()},
            "not_at_head": behind,
        }

    async def _redis_ping(self) -> dict[str, Any]:
        assert self._redis is not None
        await self._redis.ping()
        return {"ok": True}


def _first_line(error: BaseException) -> str:
    words = str(error).strip() or type(error).__name__
    return words.splitlines()[0][:300]


def app_monitoring(app: App, clock: Clock, **options: Any) -> Monitoring:
    """One bot (one county's deployment)."""
    assert app.metrics is not None
    watch = CountyWatch.of("", app.settings, app.sessionmaker, app.reminders)
    return Monitoring(
        app.metrics, app.engine, [watch], clock, redis_url=app.settings.redis_url, **options
    )


def counties_monitoring(app: CountiesApp, clock: Clock, **options: Any) -> Monitoring:
    """Every county of the deployment, and the deployment's own schema (the registry)."""
    assert app.metrics is not None
    watches = [
        CountyWatch.of(c.slug, c.settings, c.sessionmaker, c.reminders, c.county.schema)
        for c in app.counties
    ]
    return Monitoring(
        app.metrics,
        app.engine,
        watches,
        clock,
        redis_url=app.settings.redis_url,
        deployment_schema="public",
        tokens=app.tokens_check,
        **options,
    )


def make_web_app(monitoring: Monitoring) -> web.Application:
    async def metrics(_request: web.Request) -> web.Response:
        await monitoring.refresh_outbox()
        body = monitoring.metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"alive": True})

    async def readyz(_request: web.Request) -> web.Response:
        ready, body = await monitoring.readiness()
        return web.json_response(body, status=200 if ready else 503)

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


class MonitoringServer:
    """The small HTTP server; port 0 (tests) takes any free port."""

    def __init__(self, monitoring: Monitoring, host: str, port: int) -> None:
        self.monitoring = monitoring
        self.host = host
        self.port = port
        self.runner = web.AppRunner(make_web_app(monitoring), access_log=None)
        self.url: str | None = None

    async def start(self) -> str:
        self.url = await listen(self.runner, self.host, self.port)
        logger.info("monitoring on %s (/metrics, /healthz, /readyz)", self.url)
        return self.url

    async def stop(self) -> None:
        await self.runner.cleanup()
        await self.monitoring.close()


@contextlib.asynccontextmanager
async def serving(
    settings: Settings, build: Callable[[], Monitoring]
) -> AsyncIterator[MonitoringServer | None]:
    """The monitoring server while the block runs, when CADREBOT_METRICS_PORT is set."""
    if settings.metrics_port is None:
        yield None
        return
    server = MonitoringServer(build(), settings.metrics_host, settings.metrics_port)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
