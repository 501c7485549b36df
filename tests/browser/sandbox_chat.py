"""The sandbox (`cadrebot run` with no token) in a subprocess, and its chat page in Chromium.

`ChatPage` types, presses and waits the way a person does: every step waits for the bot's new
(or edited) bubble in the page, then checks that the page shows no error and that the browser
console has no SEVERE entry. Screenshots are cropped to the chat area and kept small.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
# Set to 1 to write the screenshots into docs/img/<lang>/ (the guides' images) instead of a
# temporary folder.
SCREENSHOTS_ENV = "CADREBOT_GUIDE_SCREENSHOTS"
STEP_TIMEOUT = 30.0
START_TIMEOUT = 120.0
WINDOW = (480, 1600)  # a phone's width; tall, so that a long reply fits in one screenshot
# Chrome logs the favicon the page never had as a SEVERE network entry; nothing else is let by.
IGNORED_CONSOLE = ("/favicon.ico - Failed to load resource",)
# The sandbox must not see the developer's bot settings: a token would leave the sandbox.
_DROPPED_ENV = ("BOT_TOKEN", "TELEGRAM_API_URL", "DATABASE_URL", "REDIS_URL")
_RUN = "import sys; from bot.cli import main; sys.exit(main(['run']))"


@dataclass
class Sandbox:
    url: str
    log: Path

    def personas(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.url}/sandbox/api/personas", timeout=10) as resp:
            return list(json.load(resp)["personas"])

    def user_id(self, role: str) -> int:
        ids = [int(p["user_id"]) for p in self.personas() if p["role"] == role]
        assert ids, f"the sandbox has no {role} persona"
        return ids[0]

    def errors(self) -> list[str]:
        """Lines the bot logged as errors (a handler that failed while the page looked fine)."""
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return [line for line in lines if " ERROR " in line or line.startswith("Traceback")]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_sandbox(workdir: Path) -> Iterator[Sandbox]:
    """`cadrebot run` with no token, in `workdir` (its data/sandbox.sqlite3 lives there)."""
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _DROPPED_ENV and not key.startswith("CADREBOT_")
    }
    # Reminders off: nothing arrives unasked in the middle of the walk or its screenshots.
    env.update(CADREBOT_SANDBOX_PORT=str(port), CADREBOT_SCHEDULER="off", PYTHONUNBUFFERED="1")
    log = workdir / "sandbox.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", _RUN], cwd=workdir, env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while "cadrebot sandbox: open" not in log.read_text(encoding="utf-8", errors="replace"):
            text = log.read_text(encoding="utf-8", errors="replace")
            assert process.poll() is None, f"the sandbox exited ({process.returncode}):\n{text}"
            assert time.monotonic() < deadline, f"the sandbox did not start:\n{text}"
            time.sleep(0.2)
        yield Sandbox(f"http://127.0.0.1:{port}", log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_browser(profile: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Headless Chromium through the system's chromedriver, or a skip that says why not."""
    pytest.importorskip("selenium", reason="selenium is not installed (pip install -e '.[dev]')")
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        pytest.skip("no chromium and chromedriver on PATH (Debian: chromium chromium-driver)")
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must download nothing
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--force-device-scale-factor=1",
        "--lang=zh-CN",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        return webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    except WebDriverException as error:
        pytest.skip(f"headless Chromium did not start: {(error.msg or str(error)).strip()[:300]}")


# Bot bubbles that are new since `before` (texts by index) or changed, holding one of `wanted`
# (in any letter case).
_FIND_REPLY = """
const [before, wanted] = arguments;
const nodes = document.querySelectorAll('#log .msg:not(.user)');
for (let i = nodes.length - 1; i >= 0; i--) {
  const text = nodes[i].innerText;
  const lower = text.toLowerCase();
  if ((i >= before.length || text !== before[i])
      && wanted.some((w) => lower.includes(w.toLowerCase())))
    return nodes[i];
}
return null;
"""
_BOT_TEXTS = (
    "return Array.from(document.querySelectorAll('#log .msg:not(.user)'), (n) => n.innerText);"
)
# The newest button holding `label` (in any letter case): in `bubble` if given, else in the
# newest bubble that has one.
_FIND_BUTTON = """
const [label, bubble, selector] = arguments;
const scopes = bubble ? [bubble] : Array.from(document.querySelectorAll(selector)).reverse();
for (const scope of scopes) {
  const buttons = Array.from(scope.querySelectorAll('button')).filter((b) => !b.disabled);
  const hit = buttons.find((b) => b.innerText.toLowerCase().includes(label.toLowerCase()));
  if (hit) return hit;
}
return null;
"""
_ALL_BUTTONS = (
    "return Array.from(document.querySelectorAll('#log .kb button, #rkb button'),"
    " (b) => b.innerText);"
)
_RECT = "const r = arguments[0].getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom];"
_IMAGES_READY = (
    "return Array.from(document.querySelectorAll('#log img'))"
    ".every((i) => i.complete && i.naturalWidth > 0);"
)
# How sandbox.html shows a failed request: the toast, with this word in it.
_PAGE_ERROR = (
    "const t = document.getElementById('toast');"
    " return t && t.style.display !== 'none' ? t.textContent : '';"
)
PAGE_ERROR_MARKERS = ("出错", "(error)")


@dataclass
class ChatPage:
    """The chat page as one persona at a time sees it."""

    driver: Any
    sandbox: Sandbox
    shots_dir: Path
    seen: set[str] = field(default_factory=set)
    shots: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def open(self) -> None:
        self.driver.get(self.sandbox.url + "/")
        self._until(
            lambda: self.driver.execute_script(
                "return document.querySelectorAll('#persona option').length > 0"
            ),
            "the persona list",
        )
        self.check()

    def choose(self, role: str) -> None:
        """Pick the persona in the page's list, as a person would."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.select import Select

        user_id = self.sandbox.user_id(role)
        Select(self.driver.find_element(By.ID, "persona")).select_by_value(str(user_id))
        self._until(
            lambda: (
                self.driver.execute_script("return document.getElementById('persona').value")
                == str(user_id)
            ),
            role,
        )
        self.check()

    def send(self, text: str, *expect: str) -> Any:
        """Type and send; returns the bot's reply bubble holding one of `expect`."""
        from selenium.webdriver.common.by import By

        before = self.driver.execute_script(_BOT_TEXTS)
        box = self.driver.find_element(By.ID, "text")
        box.clear()
        box.send_keys(text)
        self.driver.find_element(By.ID, "send").click()
        return self._reply(before, expect, f"the reply to {text!r}")

    def press(self, label: str, *expect: str, bubble: Any = None, keyboard: bool = False) -> Any:
        """Press the newest button whose label holds `label`; returns the reply bubble."""
        selector = "#rkb" if keyboard else "#log .msg:not(.user)"
        button = self.driver.execute_script(_FIND_BUTTON, label, bubble, selector)
        if button is None:
            labels = self.driver.execute_script(_ALL_BUTTONS)
            raise AssertionError(f"no button with {label!r}; buttons on the page: {labels}")
        before = self.driver.execute_script(_BOT_TEXTS)
        button.click()
        return self._reply(before, expect, f"the reply to the button {label!r}")

    def send_photo(self, path: Path, *expect: str) -> Any:
        from selenium.webdriver.common.by import By

        before = self.driver.execute_script(_BOT_TEXTS)
        self.driver.find_element(By.ID, "photo").send_keys(str(path))
        return self._reply(before, expect, "the reply to a photo")

    def wait_for_bubble(self, text: str) -> Any:
        """A bot bubble holding `text` (e.g. a file sent after the reply)."""
        return self._reply([], [text], f"a bubble with {text!r}")

    def wait_for_image(self) -> None:
        """A picture from the bot, loaded (e.g. the notice's chart)."""
        self._until(
            lambda: self.driver.execute_script(
                "return Array.from(document.querySelectorAll('#log .msg:not(.user) img'))"
                ".some((i) => i.complete && i.naturalWidth > 0);"
            ),
            "a picture from the bot",
        )
        self.check()

    def last_user_bubble(self) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, "#log .msg.user")[-1]

    def check(self) -> None:
        """No error shown on the page; no SEVERE console entry; remember what was shown."""
        shown = self.driver.execute_script(_PAGE_ERROR) or ""
        assert not any(m in shown for m in PAGE_ERROR_MARKERS), f"the page shows: {shown}"
        for entry in self.driver.get_log("browser"):
            line = f"{entry['level']} {entry['message']}"
            self.console.append(line)
            if entry["level"] == "SEVERE" and not any(i in line for i in IGNORED_CONSOLE):
                raise AssertionError(f"browser console: {line}")
        self.seen.update(self.driver.execute_script(_BOT_TEXTS))

    def shot(self, name: str, top: Any) -> None:
        """The chat area from `top` down to the newest bubble, as a small PNG."""
        from PIL import Image

        self.driver.execute_script("document.getElementById('log').scrollTop = 1e9;")
        self._until(lambda: self.driver.execute_script(_IMAGES_READY), "images in the chat")
        self.driver.execute_script("document.getElementById('log').scrollTop = 1e9;")
        log = self.driver.execute_script(_RECT, self.driver.find_element("id", "log"))
        last = self.driver.execute_script(
            _RECT, self.driver.find_elements("css selector", "#log > *")[-1]
        )
        first = self.driver.execute_script(_RECT, top)
        scale = float(self.driver.execute_script("return window.devicePixelRatio") or 1)
        box = (log[0], max(log[1], first[1] - 8), log[2], min(log[3], last[3] + 8))
        image = Image.open(io.BytesIO(self.driver.get_screenshot_as_png())).convert("RGB")
        image = image.crop(tuple(round(v * scale) for v in box))
        self.shots_dir.mkdir(parents=True, exist_ok=True)
        image.quantize(colors=64).save(self.shots_dir / f"{name}.png", optimize=True)
        self.shots.append(name)

    def _reply(self, before: Sequence[str], expect: Sequence[str], what: str) -> Any:
        wanted = list(expect) or [""]
        bubble = self._until(
            lambda: self.driver.execute_script(_FIND_REPLY, list(before), wanted), what, wanted
        )
        self.check()
        return bubble

    def _until(self, probe: Any, what: str, wanted: Sequence[str] = ()) -> Any:
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            found = probe()
            if found:
                return found
            if time.monotonic() > deadline:
                texts = self.driver.execute_script(_BOT_TEXTS)[-3:]
                shown = self.driver.execute_script(_PAGE_ERROR)
                raise AssertionError(
                    f"waited {STEP_TIMEOUT:.0f}s for {what} holding {list(wanted)}; "
                    f"the page shows: {shown!r}; the last bot bubbles: {texts}; "
                    f"bot errors: {self.sandbox.errors()[-5:]}"
                )
            self.check()
            time.sleep(0.1)
