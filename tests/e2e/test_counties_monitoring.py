"""A deployment of counties: each county's series carry its `county` label, and /readyz
checks the deployment's schema and every county's."""

from __future__ import annotations

import asyncio

from bot.county_app import build_counties_app, run_counties_polling
from bot.metrics import Metrics
from bot.monitoring import MonitoringServer, counties_monitoring
from storage.migrate import script_heads
from tests.e2e.counties import A, B, counties_database, fake_counties, seed_county
from tests.e2e.monitoring_helpers import counted_calls, delta, get_json, recorded_calls, scrape
from tests.e2e.test_health import set_stamp

STRANGER = 5555


async def test_each_county_is_counted_apart_and_every_schema_is_checked() -> None:
    async with counties_database() as url, fake_counties(url) as counties:
        app = await build_counties_app(counties.settings, clock=counties.clock, metrics=Metrics())
        for county in app.counties:
            await seed_county(county, county.slug)
        counties.app = app
        server = MonitoringServer(
            counties_monitoring(app, counties.clock, refresh_every=0), "127.0.0.1", 0
        )
        base = await server.start()
        polling = asyncio.create_task(run_counties_polling(app, handle_signals=False))
        try:
            for api in counties.apis.values():
                await api.wait_for_poll()
            calls_before = {slug: len(api.calls) for slug, api in counties.apis.items()}
            before = await scrape(base)
            await counties.say(A, STRANGER, "/help")
            await counties.say(A, STRANGER, "/help")
            await counties.say(B, STRANGER, "/help")
            for api in counties.apis.values():
                await api.wait_idle()
            after = await scrape(base)
            for slug, api in counties.apis.items():
                served = recorded_calls(api.calls[calls_before[slug] :])
                assert counted_calls(after, before, county=slug) == served, slug

            def handled(county: str) -> float:
                labels = {"county": county, "kind": "message", "outcome": "ok"}
                return delta(after, before, "cadrebot_updates_total", **labels)

            assert (handled(A), handled(B), handled("")) == (2, 1, 0)

            heads = sorted(script_heads())
            status, body = await get_json(f"{base}/readyz")
            assert status == 200, body
            assert body["checks"]["schema"]["schemas"] == {
                "public": heads,
                "county_jia": heads,
                "county_yi": heads,
            }
            await set_stamp(url, "0001", schema="county_yi")
            status, body = await get_json(f"{base}/readyz")
            assert status == 503
            assert body["checks"]["schema"]["not_at_head"] == ["county_yi"]
            await set_stamp(url, heads[0], schema="county_yi")
            assert (await get_json(f"{base}/readyz"))[0] == 200
        finally:
            app.stop_polling()
            await asyncio.wait_for(polling, timeout=10)
            await server.stop()
            await app.close()
