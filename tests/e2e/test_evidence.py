"""Optional evidence: a location gives a distance (a flag, never a refusal); photos attach."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from services.evidence import far_visits
from storage.models import Household, Unit, UnitVillage, Village, VillageVisit, VisitPhoto
from tests.e2e.conftest import CADRE_TG, SUPERVISOR_TG, Harness, running_bot


async def _place(harness: Harness, code: str, latitude: float, longitude: float) -> None:
    async with harness.app.sessionmaker() as session, session.begin():
        await session.execute(
            update(Household)
            .where(Household.code == code)
            .values(latitude=latitude, longitude=longitude)
        )


async def _to_confirm(harness: Harness, row: int) -> dict[str, object]:
    user = harness.api.get_user(CADRE_TG)
    [picker] = await harness.say(CADRE_TG, "/visit")
    user.press(picker, picker["reply_markup"]["inline_keyboard"][row][0]["callback_data"])
    dated = await harness.api.wait_for_edit(CADRE_TG, picker["message_id"])
    user.press(dated, dated["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    return await harness.api.wait_for_edit(CADRE_TG, picker["message_id"])


async def _share_location(harness: Harness, confirm: dict[str, object], lat: float) -> dict:
    user = harness.api.get_user(CADRE_TG)
    user.press(confirm, confirm["reply_markup"]["inline_keyboard"][1][0]["callback_data"])  # type: ignore[index]
    await harness.api.wait_for_messages(CADRE_TG)
    user.send_location(lat, 101.24, horizontal_accuracy=20.0)
    _noted, again = await harness.api.wait_for_messages(CADRE_TG, count=2)
    return again


async def test_location_near_the_household_is_recorded_with_its_distance(
    harness: Harness,
) -> None:
    await _place(harness, "H001", 25.50, 101.24)
    await harness.register(CADRE_TG, "C1")
    confirm = await _share_location(harness, await _to_confirm(harness, 0), 25.505)
    harness.api.get_user(CADRE_TG).press(
        confirm, confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    )
    done = await harness.api.wait_for_edit(CADRE_TG, confirm["message_id"])
    assert (
        harness.zh("Location recorded, about {meters} m from the household.", meters=556)
        in done["text"]
    )
    [visit] = await harness.visits("H001")
    assert visit.distance_m is not None and round(visit.distance_m) == 556
    assert visit.far_from_place is False


async def test_far_location_is_flagged_and_still_logged(harness: Harness) -> None:
    await _place(harness, "H001", 25.50, 101.24)
    await harness.register(CADRE_TG, "C1")
    confirm = await _share_location(harness, await _to_confirm(harness, 0), 25.60)
    harness.api.get_user(CADRE_TG).press(
        confirm, confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    )
    await harness.api.wait_for_edit(CADRE_TG, confirm["message_id"])
    [visit] = await harness.visits("H001")
    assert visit.far_from_place is True and visit.distance_m is not None
    assert visit.distance_m > 11_000
    # Supervisors see the flag in /compliance; the cadre was never told "far".
    await harness.register(SUPERVISOR_TG, "S1")
    [report] = await harness.say(SUPERVISOR_TG, "/compliance")
    assert (
        harness.zh(
            "\u26a0\ufe0f Visits whose location was far from the place: {count} "
            "(cadrebot report far-visits lists them)",
            count=1,
        )
        in report["text"]
    )


async def test_photos_attach_to_the_visit_once_each(harness: Harness) -> None:
    await harness.register(CADRE_TG, "C1")
    confirm = await _to_confirm(harness, 1)  # H002
    user = harness.api.get_user(CADRE_TG)
    first = user.send_photo(b"\xff\xd8first-photo\xff\xd9")
    await harness.api.wait_for_messages(CADRE_TG)
    user.send_photo(b"\xff\xd8second-photo\xff\xd9")
    [confirm] = await harness.api.wait_for_messages(CADRE_TG)
    assert harness.zh("Photos: {count}", count=2) in confirm["text"]
    harness.api.redeliver(first)  # the same photo again is still one photo
    [confirm] = await harness.api.wait_for_messages(CADRE_TG)
    user.press(confirm, confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    await harness.api.wait_for_edit(CADRE_TG, confirm["message_id"])
    [visit] = await harness.visits("H002")
    async with harness.app.sessionmaker() as session:
        photos = list(
            (
                await session.execute(
                    select(VisitPhoto).where(VisitPhoto.household_visit_id == visit.id)
                )
            ).scalars()
        )
    assert len(photos) == 2
    assert {harness.api.file_bytes(p.file_id) for p in photos} == {
        b"\xff\xd8first-photo\xff\xd9",
        b"\xff\xd8second-photo\xff\xd9",
    }


async def test_a_visit_without_any_evidence_is_fine(harness: Harness) -> None:
    await harness.register(CADRE_TG, "C1")
    confirm = await _to_confirm(harness, 2)
    harness.api.get_user(CADRE_TG).press(
        confirm, confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    )
    await harness.api.wait_for_edit(CADRE_TG, confirm["message_id"])
    [visit] = await harness.visits()
    assert (visit.latitude, visit.distance_m, visit.far_from_place) == (None, None, False)


async def test_photos_are_copied_to_the_evidence_folder_when_enabled(tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    url = f"sqlite+aiosqlite:///{tmp_path}/evidence.sqlite3"
    async with running_bot(url, CADREBOT_EVIDENCE_DIR=str(folder)) as harness:
        await harness.register(CADRE_TG, "C1")
        confirm = await _to_confirm(harness, 0)
        user = harness.api.get_user(CADRE_TG)
        user.send_photo(b"\\xff\\xd8door-and-family\\xff\\xd9")
        [confirm] = await harness.api.wait_for_messages(CADRE_TG)
        user.press(confirm, confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
        await harness.api.wait_for_edit(CADRE_TG, confirm["message_id"])
        await harness.api.wait_idle()
        [visit] = await harness.visits()
        async with harness.app.sessionmaker() as session:
            [photo] = list((await session.execute(select(VisitPhoto))).scalars())
    assert photo.household_visit_id == visit.id and photo.saved_path is not None
    saved = Path(photo.saved_path)
    assert saved.parent == folder / "2026" / "11"
    assert saved.read_bytes() == b"\\xff\\xd8door-and-family\\xff\\xd9"


async def _village_confirm(harness: Harness, user_id: int = CADRE_TG) -> dict[str, Any]:
    """JYG paired with 大村 (V1); /village, today: the confirm screen."""
    user = harness.api.get_user(user_id)
    [ask] = await harness.say(user_id, "/village")
    user.press_button(ask, harness.zh("Today ({date})", date="11月28日"))
    return await harness.api.wait_for_edit(user_id, ask["message_id"])


async def _pair_jyg_with_v1(harness: Harness, place: tuple[float, float] | None) -> None:
    async with harness.app.sessionmaker() as session, session.begin():
        unit_id = (await session.execute(select(Unit.id).where(Unit.code == "JYG"))).scalar_one()
        village = (await session.execute(select(Village).where(Village.code == "V1"))).scalar_one()
        if place is not None:
            village.latitude, village.longitude = place
        session.add(UnitVillage(unit_id=unit_id, village_id=village.id))


async def _village_location(harness: Harness, confirm: dict[str, Any], lat: float) -> dict:
    user = harness.api.get_user(CADRE_TG)
    user.press_button(confirm, harness.zh("\U0001f4cd Location"))
    await harness.api.wait_for_messages(CADRE_TG)
    user.send_location(lat, 101.24, horizontal_accuracy=20.0)
    _noted, again = await harness.api.wait_for_messages(CADRE_TG, count=2)
    assert harness.zh("Location: attached") in again["text"]
    return again


async def _village_visit(harness: Harness) -> VillageVisit:
    async with harness.app.sessionmaker() as session:
        [visit] = list((await session.execute(select(VillageVisit))).scalars())
    return visit


async def test_village_visit_location_near_the_village(harness: Harness) -> None:
    await _pair_jyg_with_v1(harness, (25.50, 101.24))
    await harness.register(CADRE_TG, "C1")
    confirm = await _village_location(harness, await _village_confirm(harness), 25.505)
    harness.api.get_user(CADRE_TG).press_button(confirm, harness.zh("\u2705 Log village visit"))
    done = await harness.api.wait_for_edit(CADRE_TG, confirm["message_id"])
    assert (
        harness.zh("Location recorded, about {meters} m from the village.", meters=556)
        in done["text"]
    )
    visit = await _village_visit(harness)
    assert (visit.latitude, visit.longitude, visit.accuracy_m) == (25.505, 101.24, 20.0)
    assert visit.distance_m is not None and round(visit.distance_m) == 556
    assert visit.far_from_place is False


async def test_far_village_visit_is_flagged_logged_and_listed(harness: Harness) -> None:
    await _pair_jyg_with_v1(harness, (25.50, 101.24))
    await _place(harness, "H001", 25.50, 101.24)
    await harness.register(CADRE_TG, "C1")
    confirm = await _village_location(harness, await _village_confirm(harness), 25.60)
    harness.api.get_user(CADRE_TG).press_button(confirm, harness.zh("\u2705 Log village visit"))
    done = await harness.api.wait_for_edit(CADRE_TG, confirm["message_id"])
    assert "2026年11月28日" in done["text"] and "大村" in done["text"]  # logged, no word of "far"
    assert (
        harness.zh("Location recorded, about {meters} m from the village.", meters=11119)
        in (done["text"])
    )
    visit = await _village_visit(harness)
    assert visit.far_from_place is True and visit.distance_m is not None
    assert visit.distance_m > 11_000
    # A far household visit too: both kinds reach the supervisors' list.
    confirm = await _share_location(harness, await _to_confirm(harness, 0), 25.60)
    harness.api.get_user(CADRE_TG).press(
        confirm, confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    )
    await harness.api.wait_for_edit(CADRE_TG, confirm["message_id"])
    async with harness.app.sessionmaker() as session:
        rows = await far_visits(session, date(2026, 11, 1), date(2026, 11, 30))
    assert [(r.kind, r.place_code, r.cadre_code, r.unit_code) for r in rows] == [
        ("household", "H001", "C1", "JYG"),
        ("village", "V1", "C1", "JYG"),
    ]
    assert all(r.distance_m > 11_000 and r.accuracy_m == 20.0 for r in rows)
    async with harness.app.sessionmaker() as session:
        assert await far_visits(session, date(2026, 10, 1), date(2026, 10, 31)) == []


async def test_village_location_without_recorded_position(harness: Harness) -> None:
    await _pair_jyg_with_v1(harness, None)
    await harness.register(CADRE_TG, "C1")
    confirm = await _village_location(harness, await _village_confirm(harness), 25.60)
    harness.api.get_user(CADRE_TG).press_button(confirm, harness.zh("\u2705 Log village visit"))
    done = await harness.api.wait_for_edit(CADRE_TG, confirm["message_id"])
    assert harness.zh("Location recorded.") in done["text"]
    visit = await _village_visit(harness)
    assert (visit.latitude, visit.distance_m, visit.far_from_place) == (25.60, None, False)


async def test_village_photos_attach_once_each_and_skip_is_fine(harness: Harness) -> None:
    await _pair_jyg_with_v1(harness, None)
    await harness.register(CADRE_TG, "C1")
    confirm = await _village_confirm(harness)
    user = harness.api.get_user(CADRE_TG)
    user.press_button(confirm, harness.zh("\U0001f4f7 Photo"))
    [hint] = await harness.api.wait_for_messages(CADRE_TG)
    assert hint["text"] == harness.zh(
        "Send one or more photos now; they are attached when you log the visit."
    )
    first = user.send_photo(b"\xff\xd8meeting\xff\xd9")
    await harness.api.wait_for_messages(CADRE_TG)
    user.send_photo(b"\xff\xd8village-road\xff\xd9")
    await harness.api.wait_for_messages(CADRE_TG)
    harness.api.redeliver(first)
    [confirm] = await harness.api.wait_for_messages(CADRE_TG)
    assert harness.zh("Photos: {count}", count=2) in confirm["text"]
    # The location step is skipped: still fine.
    user.press_button(confirm, harness.zh("\U0001f4cd Location"))
    await harness.api.wait_for_messages(CADRE_TG)
    user.send_text(harness.zh("Skip"))
    _noted, confirm = await harness.api.wait_for_messages(CADRE_TG, count=2)
    user.press_button(confirm, harness.zh("\u2705 Log village visit"))
    done = await harness.api.wait_for_edit(CADRE_TG, confirm["message_id"])
    assert harness.zh("Photos attached: {count}.", count=2) in done["text"]
    visit = await _village_visit(harness)
    assert visit.latitude is None
    async with harness.app.sessionmaker() as session:
        photos = list(
            (
                await session.execute(
                    select(VisitPhoto).where(VisitPhoto.village_visit_id == visit.id)
                )
            ).scalars()
        )
    assert {harness.api.file_bytes(p.file_id) for p in photos} == {
        b"\xff\xd8meeting\xff\xd9",
        b"\xff\xd8village-road\xff\xd9",
    }
    assert all(p.household_visit_id is None and p.saved_path is None for p in photos)


async def test_photo_button_on_the_household_confirm_screen(harness: Harness) -> None:
    await harness.register(CADRE_TG, "C1")
    confirm = await _to_confirm(harness, 3)
    user = harness.api.get_user(CADRE_TG)
    user.press_button(confirm, harness.zh("\U0001f4f7 Photo"))
    await harness.api.wait_for_messages(CADRE_TG)
    user.send_photo(b"\xff\xd8kitchen\xff\xd9")
    [confirm] = await harness.api.wait_for_messages(CADRE_TG)
    user.press_button(confirm, harness.zh("\u2705 Log visit"))
    done = await harness.api.wait_for_edit(CADRE_TG, confirm["message_id"])
    assert harness.zh("Photos attached: {count}.", count=1) in done["text"]
    [visit] = await harness.visits()
    async with harness.app.sessionmaker() as session:
        [photo] = list((await session.execute(select(VisitPhoto))).scalars())
    assert photo.household_visit_id == visit.id
    assert harness.api.file_bytes(photo.file_id) == b"\xff\xd8kitchen\xff\xd9"


async def test_photos_of_an_already_logged_visit_join_it(harness: Harness) -> None:
    await harness.register(CADRE_TG, "C1")
    await harness.say(CADRE_TG, "/visit H002 2026-11-28 已走访")
    user = harness.api.get_user(CADRE_TG)
    [picker] = await harness.say(CADRE_TG, "/visit")
    user.press_button(picker, "\u2713 H002 户主2")  # visited: listed last, with a tick
    dated = await harness.api.wait_for_edit(CADRE_TG, picker["message_id"])
    user.press_button(dated, harness.zh("Today ({date})", date="11月28日"))
    await harness.api.wait_for_edit(CADRE_TG, picker["message_id"])
    user.send_photo(b"\xff\xd8late-photo\xff\xd9")
    [confirm] = await harness.api.wait_for_messages(CADRE_TG)
    user.press_button(confirm, harness.zh("\u2705 Log visit"))
    done = await harness.api.wait_for_edit(CADRE_TG, confirm["message_id"])
    assert done["text"].startswith(
        harness.zh(
            "This visit was already logged: {code} {head} on {date}. Only the new photos "
            "were added to it.",
            code="H002",
            head="户主2",
            date="2026年11月28日",
        )
    )
    [visit] = await harness.visits("H002")
    assert visit.note == "已走访"
    async with harness.app.sessionmaker() as session:
        [photo] = list((await session.execute(select(VisitPhoto))).scalars())
    assert photo.household_visit_id == visit.id


async def test_village_photo_copied_to_the_evidence_folder(tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    url = f"sqlite+aiosqlite:///{tmp_path}/village-evidence.sqlite3"
    async with running_bot(url, CADREBOT_EVIDENCE_DIR=str(folder)) as harness:
        await _pair_jyg_with_v1(harness, None)
        await harness.register(CADRE_TG, "C1")
        confirm = await _village_confirm(harness)
        user = harness.api.get_user(CADRE_TG)
        user.send_photo(b"\xff\xd8village-meeting\xff\xd9")
        [confirm] = await harness.api.wait_for_messages(CADRE_TG)
        user.press_button(confirm, harness.zh("\u2705 Log village visit"))
        await harness.api.wait_for_edit(CADRE_TG, confirm["message_id"])
        await harness.api.wait_idle()
        visit = await _village_visit(harness)
        async with harness.app.sessionmaker() as session:
            [photo] = list((await session.execute(select(VisitPhoto))).scalars())
    assert photo.village_visit_id == visit.id and photo.saved_path is not None
    saved = Path(photo.saved_path)
    assert saved == folder / "2026" / "11" / f"village-{visit.id}-{photo.file_unique_id}.jpg"
    assert saved.read_bytes() == b"\xff\xd8village-meeting\xff\xd9"
