"""Optional evidence: a location gives a distance (a flag, never a refusal); photos attach."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from storage.models import Household, VisitPhoto
from tests.e2e.conftest import CADRE_TG, Harness, running_bot


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
