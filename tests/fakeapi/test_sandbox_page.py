"""The sandbox page: times in the plan's zone (given as a plain name), no raw callback data
after a tap, pictures open full size."""

from __future__ import annotations

import aiohttp

from fakeapi import FakeBotAPI
from fakeapi.sandbox import PAGE_PATH
from tests.fakeapi.conftest import PERSONAS, TOKEN


async def _personas(api: FakeBotAPI) -> dict[str, object]:
    url = f"{api.base_url}/sandbox/api/personas"
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.status == 200
        body: dict[str, object] = await resp.json()
    return body


async def test_the_personas_endpoint_names_the_plans_time_zone() -> None:
    api = FakeBotAPI(TOKEN, sandbox_personas=PERSONAS, time_zone="Asia/Shanghai")
    await api.start()
    try:
        body = await _personas(api)
    finally:
        await api.stop()
    assert body["time_zone"] == "Asia/Shanghai"
    assert [p["user_id"] for p in body["personas"]] == [501, 502]  # type: ignore[attr-defined]


async def test_without_a_zone_the_page_is_told_none(api: FakeBotAPI) -> None:
    assert (await _personas(api))["time_zone"] is None


def test_the_page_shows_labels_not_callback_data_and_opens_pictures_full_size() -> None:
    page = PAGE_PATH.read_text(encoding="utf-8")
    assert "pressed" not in page and "+ ev.message.data" not in page
    assert "timeZone" in page and "data.time_zone" in page
    assert 'link.target = "_blank"' in page
    assert "toLocaleTimeString" not in page  # the browser's zone
