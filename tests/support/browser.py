"""Headless Chromium driven over the DevTools protocol (no browser download, no Playwright).

Only what the Web UI test needs: open a page, wait until some JavaScript is true, run a
click, take a screenshot. Chromium is the system one (Debian's ``chromium`` package);
CI installs it in ``.ci/run``.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from podium.starters.devserver import stop_process
from websockets.sync.client import ClientConnection, connect

from tests.support.polling import eventually_sync

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
]
LOADED_S = 90.0
"""How long a click waits for its element or the page it leads to: generous, so a test
passes on a loaded machine (it judges by the page, not by the clock)."""
CENTRE = """(selector => {
  const element = document.querySelector(selector);
  if (!element) return null;
  element.scrollIntoView({block: 'center'});
  const box = element.getBoundingClientRect();
  return [box.x + box.width / 2, box.y + box.height / 2];
})(%s)"""
# The page's visible text, including same-origin iframes (the Web UI renders Markdown in them).
TEXT_JS = """(() => {
  const texts = [document.body ? document.body.innerText : ''];
  for (const frame of document.querySelectorAll('iframe')) {
    try { texts.push(frame.contentDocument.body.innerText); } catch (e) {}
  }
  return texts.join('\\n');
})()"""


def chromium_binary() -> str:
    """Path of the system Chromium, or a clear error saying how to install it."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError(
        "Chromium is needed for the Web UI test: apt-get install -y chromium "
        "(.ci/run installs it in CI)"
    )


class Page:
    """One browser tab, spoken to over its DevTools websocket."""

    def __init__(self, ws: ClientConnection):
        self._ws = ws
        self._next_id = 0

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a DevTools method and return its result (events in between are dropped)."""
        self._next_id += 1
        self._ws.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv(timeout=30))
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    def goto(self, url: str) -> None:
        """Navigate; returns once the new document exists (not when the app has rendered)."""
        self.evaluate("window.__podiumOldPage = true")
        self.send("Page.navigate", url=url)
        self.wait_for("!window.__podiumOldPage", what=f"navigation to {url}")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises are awaited)."""
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} raised: {result['exceptionDetails']}")
        return result["result"].get("value")

    def text(self) -> str:
        """The page's visible text, iframes included."""
        return str(self.evaluate(TEXT_JS))

    def wait_for(self, expression: str, timeout_s: float = 30.0, what: str = "") -> Any:
        """Poll a JavaScript expression until it is truthy; its value, or TimeoutError."""
        try:
            value = lambda: self.evaluate(expression)  # noqa: E731 - one expression, polled
            return eventually_sync(value, what or expression, timeout_s, every=0.25)
        except AssertionError as timed_out:
            page = self.text()[-3000:]
            raise TimeoutError(f"{timed_out}; the page shows:\n{page}") from None

    def wait_for_text(self, *needles: str, timeout_s: float = 30.0) -> None:
        """Wait until every one of ``needles`` is in the page's visible text."""
        checks = " && ".join(f"text.includes({json.dumps(n)})" for n in needles)
        self.wait_for(f"(text => {checks})({TEXT_JS})", timeout_s, what=f"text {list(needles)}")

    def click(self, selector: str) -> None:
        """Press ``selector`` where it is on the screen, as a finger would (a button that
        is covered or off the page is not pressed)."""
        x, y = self.wait_for(
            CENTRE % json.dumps(selector), timeout_s=LOADED_S, what=f"{selector} on the page"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def follow(self, selector: str) -> None:
        """Press ``selector``, a link or a form's button, and wait for the page it leads to."""
        self.evaluate("window.__podiumOldPage = true")
        self.click(selector)

        def arrived() -> bool:
            try:
                return bool(
                    self.evaluate("!window.__podiumOldPage && document.readyState !== 'loading'")
                )
            except RuntimeError as cut:  # asked of the page being left, as it went
                if "navigated" in str(cut) or "context" in str(cut):
                    return False
                raise

        eventually_sync(arrived, f"the page {selector} leads to", timeout=LOADED_S, every=0.25)

    def type_into(self, selector: str, text: str, *, clear: bool = False) -> None:
        """Tap ``selector`` and type ``text`` into it (``clear``: select what it holds
        first, so the typing replaces it)."""
        self.click(selector)
        if clear:
            self.evaluate(f"document.querySelector({json.dumps(selector)}).select()")
        self.send("Input.insertText", text=text)

    def choose(self, selector: str, option: str) -> None:
        """Pick the option whose value is ``option`` in the ``<select>`` at ``selector``,
        as a person does with the keyboard: focus it, then type the option's text."""
        found = self.evaluate(
            f"""(s => {{
              const select = document.querySelector(s);
              if (!select) return 'no element ' + s;
              const index = [...select.options].findIndex(o => o.value === {json.dumps(option)});
              if (index < 0) return 'no option ' + {json.dumps(option)} + ' in ' + s;
              select.focus();
              return index;
            }})({json.dumps(selector)})"""
        )
        if isinstance(found, str):
            raise AssertionError(found)
        current = self.evaluate(f"document.querySelector({json.dumps(selector)}).selectedIndex")
        key = "ArrowDown" if found > current else "ArrowUp"
        for _ in range(abs(found - current)):
            for kind in ("keyDown", "keyUp"):
                self.send(
                    "Input.dispatchKeyEvent",
                    type=kind,
                    key=key,
                    code=key,
                    windowsVirtualKeyCode=40 if key == "ArrowDown" else 38,
                )

    def screenshot(self, path: Path) -> None:
        """Save a PNG of the whole page."""
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(data["data"]))


@contextmanager
def headless_page(width: int = 1440, height: int = 1100) -> Iterator[Page]:
    """Start a fresh headless Chromium and yield its first tab; always stop it."""
    profile = Path(tempfile.mkdtemp(prefix="podium-chromium-"))
    process = subprocess.Popen(
        [
            chromium_binary(),
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # so stop_process can end its whole process group
    )
    try:
        port = _devtools_port(profile, process)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            tabs = [t for t in json.load(r) if t.get("type") == "page"]
        with connect(tabs[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=10) as ws:
            page = Page(ws)
            page.send(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
            yield page
    finally:
        stop_process(process, grace_s=5)
        shutil.rmtree(profile, ignore_errors=True)


def _devtools_port(profile: Path, process: subprocess.Popen[bytes], timeout_s: float = 30) -> int:
    """Chromium writes the port it chose for ``--remote-debugging-port=0`` into the profile."""
    marker = profile / "DevToolsActivePort"

    def written() -> str:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with code {process.returncode} at start")
        return marker.read_text().strip() if marker.exists() else ""

    text = eventually_sync(written, "chromium to open its DevTools port", timeout_s)
    return int(text.splitlines()[0])
