"""The ``podium`` command as a user runs it (real processes, real server)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from podium.starters.devserver import port_open

from tests.conftest import ROOT

PODIUM = str(Path(sys.executable).parent / "podium")
SPEC = "specs/market_entry.yaml"
INPUT = "specs/inputs/market_entry.json"


def podium(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    return subprocess.run(
        [PODIUM, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env=env,
    )


def test_validate_ok_and_warns_about_offline_fallback():
    proc = podium("validate", SPEC)
    assert proc.returncode == 0, proc.stderr
    assert "OK" in proc.stdout and "OPENAI_API_KEY is not set" in proc.stdout


def test_validate_shows_the_budget_and_deadline():
    proc = podium("validate", "specs/deal_review.yaml")
    assert proc.returncode == 0, proc.stderr
    assert "budget: $0.5, on exceed escalate" in proc.stdout
    assert "deadline: 2d after the start, on breach notify" in proc.stdout


def test_validate_prints_every_problem_with_file_and_line(write_spec):
    path = write_spec(
        {
            "name": "x",
            "agents": "agents.yaml",
            "steps": [{"id": "a", "agent": "nobody", "with": {"q": "input.[x"}}],
        },
        {"agents": {"somebody": {"model": "scripted"}}},
    )
    proc = podium("validate", str(path))
    assert proc.returncode == 2
    assert f"{path}:5: steps[0].agent (step 'a'): unknown agent 'nobody'" in proc.stderr
    assert "invalid JMESPath" in proc.stderr and "hint:" in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input", "{bad"], "--input is not valid JSON"),
        (
            ["--input", '{"company": 1, "product": "p", "market": "SG"}'],
            "1 is not of type 'string'",
        ),
        (["--input", '{"company": "c", "product": "p", "market": "FR"}'], "'FR' is not one of"),
        (["--input-file", "missing.json"], "cannot read input file missing.json"),
    ],
)
def test_run_refuses_bad_input_before_starting(args, message):
    proc = podium("run", SPEC, *args, "--address", "127.0.0.1:1")
    assert proc.returncode == 2 and "not started" in proc.stderr
    assert message in proc.stderr


@pytest.mark.usefixtures("worker")
async def test_run_wait_prints_outputs_cost_and_link(address):
    # async: the in-process worker shares this event loop, so don't block it
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    proc = await asyncio.create_subprocess_exec(
        PODIUM,
        "run",
        SPEC,
        "--input-file",
        INPUT,
        "--wait",
        "--address",
        address,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, stderr.decode()
    out = stdout.decode()
    assert re.search(r"started market_entry run market_entry-\w+", out)
    assert "http://localhost:8233/namespaces/default/workflows/market_entry-" in out
    assert "research" in out and "[offline scripted model]" in out
    assert '"recommendation": "enter"' in out and re.search(r"total: \d+ tokens", out)


@pytest.mark.slow
def test_demo_runs_offline_and_leaves_no_process_behind():
    if port_open(7233) or port_open(8233):
        pytest.skip("ports 7233/8233 are in use (a dev server runs); the demo needs them")
    proc = podium("demo", timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Kopi Pay in SG: enter" in proc.stdout
    assert re.search(
        r"web UI: http://localhost:8233/namespaces/default/workflows/market_entry-\w+", proc.stdout
    )
    worker_pid = int(re.search(r"worker started \(pid (\d+)", proc.stdout).group(1))
    assert not port_open(7233), "dev server still running after the demo"
    with pytest.raises(ProcessLookupError):
        os.kill(worker_pid, 0)


def test_links_follow_the_ui_that_podium_dev_started_here(tmp_path, monkeypatch):
    from podium.starters.launch import ui_link

    monkeypatch.delenv("PODIUM_UI_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert ui_link("r1") == "http://localhost:8233/namespaces/default/workflows/r1"
    (tmp_path / ".podium").mkdir()
    (tmp_path / ".podium" / "ui_url").write_text("http://localhost:18233\n")
    assert ui_link("r1") == "http://localhost:18233/namespaces/default/workflows/r1"
    monkeypatch.setenv("PODIUM_UI_URL", "https://temporal.example.internal/")
    assert ui_link("r1", "prod").startswith("https://temporal.example.internal/namespaces/prod/")
