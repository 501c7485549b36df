"""Registration with a one-time invite; strangers get the roster notice and nothing else."""

from datetime import timedelta

from sqlalchemy import select

from storage.models import Cadre, InviteAttempt
from tests.e2e.conftest import CADRE_TG, OTHER_CADRE_TG, STRANGER_TG, Harness
from ui.refusals import REFUSALS
from ui.texts import NOT_ON_ROSTER


async def test_stranger_gets_only_the_roster_notice(harness: Harness) -> None:
    for text in ("你好", "/visit H001", "/compliance", "/start"):
        [reply] = await harness.say(STRANGER_TG, text)
        assert reply["text"] == harness.zh(NOT_ON_ROSTER)
    assert await harness.visits() == []


async def test_english_speaking_stranger_gets_english_notice(harness: Harness) -> None:
    harness.api.user(STRANGER_TG, "Sam", language_code="en-US").send_text("hello")
    [reply] = await harness.api.wait_for_messages(STRANGER_TG)
    assert reply["text"] == harness.en(NOT_ON_ROSTER)


async def test_invite_binds_account_once(harness: Harness) -> None:
    code = await harness.invite("C1")
    [welcome] = await harness.say(CADRE_TG, f"/start {code}")
    assert "李明" in welcome["text"]
    async with harness.app.sessionmaker() as session:
        cadre = (await session.execute(select(Cadre).where(Cadre.code == "C1"))).scalar_one()
    assert cadre.telegram_user_id == CADRE_TG
    assert cadre.registered_at is not None

    # The same code from another account: refused, and the first binding stays.
    [refused] = await harness.say(OTHER_CADRE_TG, f"/start {code}")
    assert refused["text"] == harness.zh(REFUSALS["invite_used"])
    async with harness.app.sessionmaker() as session:
        cadre = (await session.execute(select(Cadre).where(Cadre.code == "C1"))).scalar_one()
    assert cadre.telegram_user_id == CADRE_TG


async def test_deep_link_code_is_case_insensitive(harness: Harness) -> None:
    code = await harness.invite("C2")
    [welcome] = await harness.say(OTHER_CADRE_TG, f"/start {code.lower()}")
    assert "王芳" in welcome["text"]


async def test_expired_invite_is_refused(harness: Harness) -> None:
    code = await harness.invite("C1")
    harness.clock.set(harness.clock.now() + timedelta(days=7, seconds=1))
    [refused] = await harness.say(CADRE_TG, f"/start {code}")
    assert refused["text"] == harness.zh(REFUSALS["invite_expired"])


async def test_a_new_invite_revokes_the_older_one(harness: Harness) -> None:
    old = await harness.invite("C1")
    new = await harness.invite("C1")
    [refused] = await harness.say(CADRE_TG, f"/start {old}")
    assert refused["text"] == harness.zh(REFUSALS["invite_expired"])
    [welcome] = await harness.say(CADRE_TG, f"/start {new}")
    assert "李明" in welcome["text"]


async def test_wrong_codes_are_throttled(harness: Harness) -> None:
    for attempt in range(5):
        [refused] = await harness.say(STRANGER_TG, f"/start WRONGCODE{attempt}")
        assert refused["text"] == harness.zh(REFUSALS["invite_unknown"])
    # Even the right code is refused while the account is throttled ...
    code = await harness.invite("C1")
    [throttled] = await harness.say(STRANGER_TG, f"/start {code}")
    assert throttled["text"] == harness.zh(REFUSALS["invite_throttled"])
    assert await harness.count(InviteAttempt) == 5
    # ... and works again an hour later.
    harness.clock.set(harness.clock.now() + timedelta(hours=1, minutes=1))
    [welcome] = await harness.say(STRANGER_TG, f"/start {code}")
    assert "李明" in welcome["text"]


async def test_commands_menu_is_published_in_both_languages(harness: Harness) -> None:
    await harness.say(STRANGER_TG, "hi")  # the bot is polling, so start-up is done
    default = harness.api.commands(None, "")
    english = harness.api.commands(None, "en")
    assert default is not None and english is not None
    assert [c["command"] for c in default] == [c["command"] for c in english]
    assert "visit" in [c["command"] for c in default]
    visit = [c["command"] for c in default].index("visit")
    assert default[visit]["description"] == harness.zh("Log a household visit")
    assert english[visit]["description"] == "Log a household visit"
