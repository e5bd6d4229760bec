"""Where a spec's tools come from, as the ``podium`` command meets them: an MCP server that
prints on stdout is named in one line at once (not a traceback per line, then a 30 s
timeout), and function tools are found from the catalog's project whatever folder the
command runs in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT
from tests.starters.test_cli import PODIUM, podium

CHATTY = [sys.executable, "-m", "tests.support.mcp_chatty"]


def mcp_spec(command: list[str]) -> dict:
    return {
        "name": "chatty",
        "agents": {
            "tools": {"shout": {"mcp": {"command": command}}},
            "agents": {"crier": {"model": "scripted", "tools": ["shout"]}},
        },
        "steps": [{"id": "cry", "agent": "crier"}],
    }


def test_an_mcp_server_that_prints_a_banner_on_stdout_is_named_in_one_line(write_spec):
    path = write_spec(mcp_spec([*CHATTY, "--banner"]))
    proc = podium("validate", str(path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "timed out" not in proc.stderr
    assert (
        f"{path}:5: agents.tools.shout.mcp: tool 'shout': MCP server "
        f"'{' '.join(CHATTY)} --banner' wrote non-protocol output on stdout: "
        "'Chatty MCP server 1.0 ready'; servers must log to stderr" in proc.stderr
    )
    assert "hint: make the server print its banners and logs to stderr" in proc.stderr
    assert proc.stderr.count("\n") == 4  # "invalid", the count, the problem, its hint


def test_the_same_server_without_its_banner_compiles(write_spec):
    proc = podium("validate", str(write_spec(mcp_spec(CHATTY))))
    assert proc.returncode == 0, proc.stderr


def podium_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "PYTHONPATH")}
    return subprocess.run(
        [PODIUM, *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env=env,
    )


def test_the_samples_function_tools_are_found_from_another_folder(tmp_path):
    proc = podium_in(tmp_path, "validate", str(ROOT / "specs" / "asean_quote.yaml"))
    assert proc.returncode == 0, proc.stderr
    assert "OK — spec 'asean_quote'" in proc.stdout


def test_plan_with_the_repositorys_catalog_works_outside_the_repository(tmp_path):
    proc = podium_in(
        tmp_path,
        "plan",
        "Research a market, rate the risk, write a brief",
        "--catalog",
        str(ROOT / "agents"),
        "--offline",
        "-o",
        "brief.yaml",
    )
    assert proc.returncode == 0, proc.stderr
    assert "round 1: the draft compiles" in proc.stdout
    assert (tmp_path / "brief.yaml").exists()


def test_a_projects_function_tool_is_found_from_its_catalogs_folder(tmp_path):
    project = tmp_path / "project"
    (project / "quoting").mkdir(parents=True)
    (project / "quoting" / "__init__.py").write_text("")
    (project / "quoting" / "fx.py").write_text(
        "def convert(amount: float, currency: str) -> float:\n"
        '    """Convert US dollars."""\n'
        "    return amount\n"
    )
    (project / "agents").mkdir()
    catalog = {
        "tools": {"convert": {"function": "quoting.fx:convert"}},
        "agents": {"quoter": {"model": "scripted", "tools": ["convert"]}},
    }
    (project / "agents" / "quote.yaml").write_text(yaml.safe_dump(catalog))
    spec = {
        "name": "quote",
        "agents": "agents/quote.yaml",
        "steps": [{"id": "q", "agent": "quoter"}],
    }
    (project / "quote.yaml").write_text(yaml.safe_dump(spec))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = podium_in(elsewhere, "validate", str(project / "quote.yaml"))
    assert proc.returncode == 0, proc.stderr
    proc = podium_in(
        elsewhere, "plan", "--from", str(project / "quote.yaml"), "--catalog", "../project/agents"
    )
    assert proc.returncode == 0, proc.stderr
    assert "--- review ---" in proc.stdout
    (project / "quoting" / "fx.py").unlink()  # a module that is nowhere: said so, with the fix
    proc = podium_in(elsewhere, "validate", str(project / "quote.yaml"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "cannot read the arguments of 'quoting.fx:convert'" in proc.stderr
    assert "in the catalog's folder and those above it" in proc.stderr
