"""The process's Prometheus metrics, in one registry object built by the composition root.

Not prometheus_client's global default registry: each `Metrics` holds its own
`CollectorRegistry`, so two apps in one process (tests, a deployment's scheduler beside a
bot) never share or clash, and nothing is created at import time. Only bot/ knows it: the
layers below get plain callbacks (reminders: `on_rule_run`) or nothing at all.

Names follow Prometheus' conventions: the `cadrebot_` prefix, base units (seconds), and
`_total` for counters (prometheus_client adds it). `county` is the county's slug in a
deployment of counties and empty otherwise (PromQL treats an empty label as absent).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from bot.update_context import DUPLICATE, ERROR, OK, REFUSED, RETRY, UNHANDLED

UPDATE_OUTCOMES = (OK, REFUSED, UNHANDLED, ERROR, RETRY, DUPLICATE)
# Bot API results (cadrebot_bot_api_requests_total's `result`).
API_OK, API_429, API_403, API_5XX, API_NETWORK, API_ERROR = (
    "ok",
    "429",
    "403",
    "5xx",
    "network",
    "error",
)
API_RESULTS = (API_OK, API_429, API_403, API_5XX, API_NETWORK, API_ERROR)
# Handling a delivered update: most take milliseconds; a retried one seconds.
UPDATE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Every metric of one process; `exposition()` is what /metrics serves."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.updates = Counter(
            "cadrebot_updates",
            "Telegram updates delivered to this process, by kind and what became of them.",
            ["county", "kind", "outcome"],
            registry=registry,
        )
        self.update_seconds = Histogram(
            "cadrebot_update_duration_seconds",
            "Seconds from an update's delivery to its outcome (all tries of the delivery; "
            "duplicates left out).",
            ["county", "kind"],
            buckets=UPDATE_BUCKETS,
            registry=registry,
        )
        self.api_requests = Counter(
            "cadrebot_bot_api_requests",
            "Bot API calls made (each try), by method and result.",
            ["county", "method", "result"],
            registry=registry,
        )
        self.rule_runs = Counter(
            "cadrebot_reminder_rule_runs",
            "Reminder rule runs (a cron firing or a catch-up), by rule and outcome.",
            ["county", "rule", "outcome"],
            registry=registry,
        )
        self.outbox_messages = Gauge(
            "cadrebot_outbox_messages",
            "Outbox rows (reminders and case notifications) by state, read from the database.",
            ["county", "state"],
            registry=registry,
        )
        self.outbox_oldest_age = Gauge(
            "cadrebot_outbox_oldest_pending_age_seconds",
            "Seconds the oldest unsent outbox row has been sendable (due, and not held by "
            "quiet hours); 0 when none is.",
            ["county"],
            registry=registry,
        )
        self._live = LiveCollector()
        registry.register(self._live)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)

    def county_updates(
        self, county: str, kinds: Iterable[str] = ("message", "callback_query")
    ) -> None:
        """Update series a county will have, at 0 from the start: `increase()` then sees
        the first one."""
        for kind in kinds:
            for outcome in UPDATE_OUTCOMES:
                self.updates.labels(county, kind, outcome)

    def county_sends(self, county: str) -> None:
        """sendMessage series at 0 from the start, for the same reason."""
        for result in API_RESULTS:
            self.api_requests.labels(county, "sendMessage", result)

    def count_update(self, county: str, kind: str, outcome: str, seconds: float) -> None:
        self.updates.labels(county, kind, outcome).inc()
        if outcome != DUPLICATE:
            self.update_seconds.labels(county, kind).observe(seconds)

    def count_api_call(self, county: str, method: str, result: str) -> None:
        self.api_requests.labels(county, method, result).inc()

    def rule_run_counter(self, county: str) -> Callable[[str, str], None]:
        """The callback reminders/ calls after each rule run: (rule, outcome)."""

        def counted(rule: str, outcome: str) -> None:
            self.rule_runs.labels(county, rule, outcome).inc()

        return counted

    def set_outbox(self, county: str, counts: Mapping[str, int], oldest_age: float) -> None:
        for state, count in counts.items():
            self.outbox_messages.labels(county, state).set(count)
        self.outbox_oldest_age.labels(county).set(oldest_age)

    def watch_lease(self, county: str, holds: Callable[[], bool]) -> None:
        """Read at each scrape, no database round trip (the scheduler's own knowledge)."""
        self._live.leases.append((county, holds))

    def watch_pool(self, engine: AsyncEngine) -> None:
        self._live.engines.append(engine)

    def watch_tokens(self, counties: Iterable[str], refused: Callable[[], Collection[str]]) -> None:
        """Each county served (1) or left out because Telegram refused its token (0)."""
        self._live.counties = list(counties)
        self._live.refused = refused


class LiveCollector(Collector):
    """Values read when scraped: the scheduler lease, the database pool and (a deployment of
    counties) which counties are served."""

    def __init__(self) -> None:
        self.leases: list[tuple[str, Callable[[], bool]]] = []
        self.engines: list[AsyncEngine] = []
        self.counties: list[str] = []
        self.refused: Callable[[], Collection[str]] = tuple

    def describe(self) -> Iterable[Metric]:
        return list(self._families())

    def collect(self) -> Iterable[Metric]:
        lease, pool, served = self._families()
        for county, holds in self.leases:
            lease.add_metric([county], 1.0 if holds() else 0.0)
        in_use = idle = 0
        for engine in self.engines:
            if isinstance(engine.pool, QueuePool):
                in_use += engine.pool.checkedout()
                idle += engine.pool.checkedin()
        if self.engines:
            pool.add_metric(["in_use"], in_use)
            pool.add_metric(["idle"], idle)
        refused = self.refused()
        for county in self.counties:
            served.add_metric([county], 0.0 if county in refused else 1.0)
        return iter((lease, pool, served))

    @staticmethod
    def _families() -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            "cadrebot_scheduler_lease_held",
            "1 while this process holds the county's scheduler lease (fires rules, sends "
            "reminders), 0 while it stands by; absent where reminders do not run.",
            labels=["county"],
        )
        yield GaugeMetricFamily(
            "cadrebot_db_pool_connections",
            "Database connections of this process's pool, in use or idle.",
            labels=["state"],
        )
        yield GaugeMetricFamily(
            "cadrebot_county_served",
            "1 while this process serves the county's bot, 0 once Telegram refused its token "
            "(the county is left out); absent outside a deployment of counties.",
            labels=["county"],
        )
