"""Two counties served by one polling process: each county's bot reads and writes only its
county's tables, replies go out through the bot written to, the same person talking to both
bots is two people (one per county), each county's reminders go out through its own bot,
and an update to a bot that serves no county changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import Update

from bot.app import build_reminders
from bot.cli.scheduler import run_deployment
from reminders.scheduler import ReminderService
from storage.models import InviteAttempt, OutboxMessage, SchedulerLease
from tests.e2e.conftest import CADRE_TG, NOW, OTHER_CADRE_TG
from tests.e2e.counties import A, B, Counties, guided_visits_interleaved, polling_counties
from ui.texts import NOT_ON_ROSTER

# 2026-12-01 09:30 in Shanghai: the household-visit rule (09:00) is due.
DEC_1 = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)


@pytest.fixture
async def counties() -> AsyncIterator[Counties]:
    async with polling_counties() as running:
        yield running


async def test_each_county_bot_reads_and_writes_only_its_own_county(counties: Counties) -> None:
    api_a, api_b = counties.apis[A], counties.apis[B]
    # The same Telegram user, the same cadre code, in both counties: two people.
    welcome_a = await counties.register(A, CADRE_TG, "C1")
    welcome_b = await counties.register(B, CADRE_TG, "C1")
    assert "李明" in welcome_a["text"] and "陈静" not in welcome_a["text"]
    assert "陈静" in welcome_b["text"] and "李明" not in welcome_b["text"]
    # Someone registered in county jia only is a stranger to county yi's bot.
    await counties.register(A, OTHER_CADRE_TG, "C2")
    [stranger] = await counties.say(B, OTHER_CADRE_TG, "/visit H005 2026-11-20")
    assert stranger["text"] == counties.county(B).catalogs.translator("zh")(NOT_ON_ROSTER)

    [logged_a] = await counties.say(A, CADRE_TG, "/visit H001 2026-11-20")
    [logged_b] = await counties.say(B, CADRE_TG, "/visit H002 2026-11-21")
    assert "H001" in logged_a["text"] and "2026年11月20日" in logged_a["text"]
    assert "H002" in logged_b["text"] and "2026年11月21日" in logged_b["text"]
    [logged_a2] = await counties.say(A, OTHER_CADRE_TG, "/visit H005 2026-11-22")
    assert "H005" in logged_a2["text"]

    assert await counties.visits(A) == [
        ("H001", date(2026, 11, 20), "C1"),
        ("H005", date(2026, 11, 22), "C2"),
    ]
    assert await counties.visits(B) == [("H002", date(2026, 11, 21), "C1")]
    assert await counties.bound_accounts(A) == {"C1": CADRE_TG, "C2": OTHER_CADRE_TG}
    assert await counties.bound_accounts(B) == {"C1": CADRE_TG}

    # Each bot answered exactly what was sent to it, nothing of the other's.
    assert len(api_a.messages_to(CADRE_TG)) == 2 and len(api_b.messages_to(CADRE_TG)) == 2
    assert len(api_a.messages_to(OTHER_CADRE_TG)) == 2
    assert len(api_b.messages_to(OTHER_CADRE_TG)) == 1
    assert api_a.unread(CADRE_TG) == [] and api_b.unread(CADRE_TG) == []

    # The same person's households, as each county's bot shows them.
    [mine_a] = await counties.say(A, CADRE_TG, "/visit")
    [mine_b] = await counties.say(B, CADRE_TG, "/visit")
    assert "户主" in str(mine_a) and "住户" not in str(mine_a)
    assert "住户" in str(mine_b) and "户主" not in str(mine_b)
    # Both guided visits at once, a step in one bot, then in the other: two flows.
    done = await guided_visits_interleaved(counties, {A: mine_a, B: mine_b})
    today = NOW.date()
    for slug in (A, B):
        [new] = [visit for visit in await counties.visits(slug) if visit[1] == today]
        assert new[0] in done[slug] and new[2] == "C1"


async def test_a_reminder_round_per_county_goes_out_through_its_own_bot(
    counties: Counties,
) -> None:
    await counties.register(A, CADRE_TG, "C1")
    await counties.register(A, OTHER_CADRE_TG, "C2")
    await counties.register(B, CADRE_TG, "C1")
    await counties.say(A, CADRE_TG, "/visit H001 2026-11-20")
    before = {slug: len(api.messages_to(CADRE_TG)) for slug, api in counties.apis.items()}
    before_other = len(counties.apis[A].messages_to(OTHER_CADRE_TG))
    counties.clock.set(DEC_1)

    services: dict[str, ReminderService] = {}
    for slug in (A, B):
        county = counties.county(slug)
        services[slug] = build_reminders(
            county.settings, county.bot, county.sessionmaker, county.catalogs, counties.clock
        )
    inserted = {}
    for slug, service in services.items():
        fired = await service.scheduler.fire("household_visit")
        assert fired is not None
        inserted[slug] = fired.inserted
    assert inserted == {A: 2, B: 1}  # jia's C1 and C2; yi's C1
    assert await services[B].sender.run_once() == 1
    assert await counties.count(A, OutboxMessage) == 2  # jia's still pending
    assert await services[A].sender.run_once() == 2

    for slug, api in counties.apis.items():
        reminders = await api.wait_for_messages(CADRE_TG, count=1)
        assert len(api.messages_to(CADRE_TG)) == before[slug] + 1
        # Each lists what that county's C1 still owes: jia's visited H001, yi's nothing yet.
        assert ("H001" in reminders[0]["text"]) == (slug == B), reminders[0]["text"]
    other = counties.apis[A].messages_to(OTHER_CADRE_TG)[before_other:]
    assert len(other) == 1
    sent_by_b = {call.params["chat_id"] for call in counties.apis[B].calls_of("sendMessage")}
    assert sent_by_b == {CADRE_TG}  # county yi's bot never wrote to county jia's C2
    for service in services.values():
        await service.scheduler.stop()


async def test_cadrebot_scheduler_runs_every_countys_reminders(counties: Counties) -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(run_deployment(counties.settings, counties.clock, stop))
    holders: dict[str, str] = {}
    for _ in range(200):
        for slug in (A, B):
            async with counties.county(slug).sessionmaker() as session:
                lease = await session.get(SchedulerLease, "reminders")
            if lease is not None:
                holders[slug] = lease.holder
        if len(holders) == 2:
            break
        await asyncio.sleep(0.05)
    assert set(holders) == {A, B}, holders  # a lease in each county's schema
    assert holders[A] != holders[B]
    stop.set()
    assert await asyncio.wait_for(running, 10) == 0


async def test_an_update_to_a_bot_of_no_county_changes_nothing(counties: Counties) -> None:
    app = counties.running
    code = await counties.invite(A, "C1")
    for api in counties.apis.values():
        await api.wait_for_poll()  # started: what each bot calls from now on is ours to see
    calls = {slug: len(api.calls) for slug, api in counties.apis.items()}
    stranger = Bot(
        "799999:no-county-token",
        session=AiohttpSession(api=TelegramAPIServer.from_base(counties.settings.telegram_api_url)),
    )
    update = Update.model_validate(
        {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 1796000000,
                "chat": {"id": CADRE_TG, "type": "private", "first_name": "x"},
                "from": {"id": CADRE_TG, "is_bot": False, "first_name": "x"},
                "text": f"/start {code}",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        },
        context={"bot": stranger},
    )
    try:
        assert await app.dispatcher.feed_update(stranger, update) is UNHANDLED
    finally:
        await stranger.session.close()
    for slug in (A, B):
        assert await counties.bound_accounts(slug) == {}
        assert await counties.count(slug, InviteAttempt) == 0
    new_calls = [c.method for s, api in counties.apis.items() for c in api.calls[calls[s] :]]
    assert set(new_calls) <= {"getUpdates"}, new_calls  # no bot said anything
    # The invite is still good in its own county.
    [welcome] = await counties.say(A, CADRE_TG, f"/start {code}")
    assert "李明" in welcome["text"]
