"""The chat page shows a toast for a button's answer as it arrives, never again when it
loads the persona's history (a reload, or picking the persona again)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.sandbox_chat import _PAGE_ERROR, ChatPage, running_sandbox, start_browser

_TOAST = (
    "const t = document.getElementById('toast');"
    " return t.style.display === 'block' ? t.textContent : '';"
)
_BUBBLES = "return document.querySelectorAll('#log .msg').length;"


@pytest.mark.browser
def test_old_answers_are_not_replayed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    driver = start_browser(tmp_path / "profile", monkeypatch)
    try:
        with running_sandbox(tmp_path) as sandbox:
            page = ChatPage(driver, sandbox, tmp_path / "shots")
            page.open()
            page.choose("cadre")
            first = page.send("/mystatus", "我还欠什么")
            second = page.send("/mystatus", "我还欠什么")
            label = driver.execute_script(
                "return arguments[0].querySelector('.kb button').innerText;", first
            )
            page.press(label, "走访已登记", bubble=first)
            # The same household's button on the other list is stale now: a toast says so.
            driver.execute_script(
                "Array.from(arguments[0].querySelectorAll('.kb button'))"
                ".find((b) => b.innerText === arguments[1]).click();",
                second,
                label,
            )
            page._until(lambda: driver.execute_script(_TOAST), "the stale button's toast")
            driver.refresh()
            page.open()
            page._until(lambda: driver.execute_script(_BUBBLES) >= 4, "the history")
            driver.execute_script("return new Promise((done) => setTimeout(done, 1500));")
            assert driver.execute_script(_TOAST) == ""
            assert driver.execute_script(_PAGE_ERROR) == ""
    finally:
        driver.quit()
