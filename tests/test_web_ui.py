"""What a person sees of a Podium run in the Temporal Web UI (real `podium dev`, real browser).

Starts ``podium dev`` on free ports, runs the deal_review sample, approves its sign-off
with ``podium approve``, then opens the printed Web UI link in headless Chromium. Set
``PODIUM_SCREENSHOT_DIR=docs`` to refresh the screenshots in docs/web-ui.md.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from podium.starters.devserver import free_port, stop_process

from tests.conftest import ROOT
from tests.support.browser import Page, headless_page
from tests.support.polling import eventually_sync

pytestmark = pytest.mark.slow
PODIUM = str(Path(sys.executable).parent / "podium")
AGENT_LABELS = [
    "financial-analyst · financial",
    "legal-analyst · legal",
    "tech-analyst · technical",
    "risk-aggregator · risk",
]
SUMMARY = "Deal review: Nusantara Logistics (2500000 USD)"


class PodiumDev:
    """``podium dev`` as a user starts it, in its own process group and state dir."""

    def __init__(self, cwd: Path, *extra: str):
        self.cwd = cwd
        self.port, self.ui_port = free_port(), free_port()
        self.ui = f"http://127.0.0.1:{self.ui_port}"
        self.log = cwd / "podium-dev.log"
        with open(self.log, "wb") as sink:
            self.process = subprocess.Popen(
                [PODIUM, "dev", "--port", str(self.port), "--ui-port", str(self.ui_port), *extra],
                cwd=cwd,  # its .podium/ (database, worker log) lands in the test's tmp dir
                stdout=sink,
                stderr=subprocess.STDOUT,
                env={**env(), "PYTHONUNBUFFERED": "1"},
                start_new_session=True,
            )
        self.children: list[int] = []

    def wait_ready(self, timeout_s: float = 90) -> None:
        """Until ``podium dev`` says the server and its worker are up."""

        def ready() -> bool:
            # server and worker run in their own sessions: remember them as they appear, so
            # stop() can end them even if podium dev never got ready or ignores Ctrl-C
            self.children = sorted(set(self.children) | set(child_pids(self.process.pid)))
            assert self.process.poll() is None, f"podium dev exited:\n{self.log.read_text()}"
            return "Podium dev stack ready" in self.log.read_text(errors="replace")

        eventually_sync(ready, f"podium dev to be ready (its log: {self.log})", timeout_s, 0.2)
        self.children = sorted(set(self.children) | set(child_pids(self.process.pid)))

    def stop(self) -> None:
        """Ctrl-C (it stops its worker and server), then kill whatever is left."""
        if self.process.poll() is None:
            if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
                # inherited by podium dev too (a background CI job): end its worker instead,
                # which makes podium dev stop its server and exit
                for pid in self.children:
                    signal_group(pid, signal.SIGTERM)
            else:
                os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
                return
            except subprocess.TimeoutExpired:
                stop_process(self.process, grace_s=5)
        for pid in self.children:
            signal_group(pid, signal.SIGKILL)

    def podium(self, *args: str, **variables: str) -> str:
        """Run a ``podium`` command against this stack (with ``variables`` added to its
        environment); its stdout (fails on a non-zero exit)."""
        proc = subprocess.run(
            [PODIUM, *args, "--address", f"127.0.0.1:{self.port}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
            env={**env(), "PODIUM_UI_URL": self.ui, **variables},  # links point at this stack
        )
        assert proc.returncode == 0, f"podium {' '.join(args)}:\n{proc.stdout}{proc.stderr}"
        return proc.stdout


def env() -> dict[str, str]:
    """The caller's environment without a model key: every agent runs offline."""
    return {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}


def signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the process group led by ``pid`` if it still exists."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def child_pids(parent: int) -> list[int]:
    """Direct children of ``parent`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[PodiumDev]:
    dev = PodiumDev(tmp_path)
    try:
        dev.wait_ready()
        yield dev
    finally:
        dev.stop()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: ``PODIUM_SCREENSHOT_DIR`` (e.g. docs) or the test's tmp dir."""
    where = os.environ.get("PODIUM_SCREENSHOT_DIR")
    return Path(where) if where else tmp_path


def open_list(page: Page, ui: str, query: str) -> None:
    """The workflow list filtered by a visibility query, as pasted into the search box."""
    page.goto(f"{ui}/namespaces/default/workflows?query={quote(query)}")


def open_tab(page: Page, name: str) -> None:
    """Click one of the run page's tabs (Timeline, Event History, User Metadata, …)."""
    tab = f"[...document.querySelectorAll('a')].find(a => a.innerText.trim().startsWith({name!r}))"
    page.wait_for(f"!!{tab}", timeout_s=45, what=f"the {name} tab")
    page.evaluate(f"{tab}.click()")


def test_deal_review_in_the_web_ui(stack: PodiumDev, shots: Path) -> None:
    run_id = f"deal_review-webui-{uuid.uuid4().hex[:6]}"
    out = stack.podium(
        "run",
        "specs/deal_review.yaml",
        "--input-file",
        "specs/inputs/deal_review.json",
        "--id",
        run_id,
    )
    link = re.search(r"web UI: (\S+)", out)
    assert link and link.group(1) == f"{stack.ui}/namespaces/default/workflows/{run_id}", out

    # the sample input is a high-risk deal: it waits for the deal desk
    def asked() -> bool:
        return run_id in stack.podium("inbox", "--as", "deal-desk")

    eventually_sync(asked, "the run to ask the deal desk", timeout=30, every=0.5)

    with headless_page() as page:
        open_list(page, stack.ui, 'PodiumNeedsHuman = true AND PodiumWaitingOn = "deal-desk"')
        page.wait_for_text(run_id, timeout_s=45)
        page.goto(link.group(1))
        open_tab(page, "User Metadata")  # current details say what the run waits for
        page.wait_for_text("waiting for signoff-1", "from deal-desk, deadline", timeout_s=45)

        stack.podium("approve", run_id, "signoff-1", "--approve", "--as", "deal-desk")

        def completed() -> bool:
            return "completed" in stack.podium("status", run_id).splitlines()[0]

        eventually_sync(completed, "the run to complete after the approval", 30, every=0.5)

        # the run's page opens on the timeline: one bar per agent call, `agent · step`
        page.goto(link.group(1))
        page.wait_for_text(
            *AGENT_LABELS, "signoff-1: waiting for deal-desk", "decide", timeout_s=45
        )
        page.screenshot(shots / "web-ui-deal-review.png")

        # summary, details (spec, steps, input) and current details (rendered in iframes)
        open_tab(page, "User Metadata")
        page.wait_for_text(
            SUMMARY,
            "Spec deal_review (specs/deal_review.yaml)",
            "risk — agent risk-aggregator",
            '"company": "Nusantara Logistics"',
            "deal_review — completed",
            "steps finished: 6",
            timeout_s=45,
        )
        page.screenshot(shots / "web-ui-deal-review-metadata.png")

        open_list(page, stack.ui, 'PodiumSpec = "deal_review" AND PodiumStatus = "completed"')
        page.wait_for_text(run_id, timeout_s=45)
        open_list(page, stack.ui, "PodiumCostUsd > 0.0001 AND PodiumNeedsHuman = false")
        page.wait_for_text(run_id, timeout_s=45)
