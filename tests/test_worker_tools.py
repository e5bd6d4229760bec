"""A worker says at start which tools of its --catalog it cannot run (file, line, fix)."""

from __future__ import annotations

from podium.workers.tool_check import tool_warnings

CATALOG = """\
tools:
  fine:
    function: tests.support.tools:vat
  ghost:
    function: tests.support.nowhere:tool
  holidays:
    http: {url: "http://127.0.0.1:9/holidays", auth_env: PODIUM_TEST_HOLIDAY_TOKEN}
    parameters: {type: object}
agents:
  quoter: {model: scripted, tools: [fine, ghost, holidays]}
"""


def test_unrunnable_tools_are_named_with_file_line_and_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("PODIUM_TEST_HOLIDAY_TOKEN", raising=False)
    path = tmp_path / "agents.yaml"
    path.write_text(CATALOG)
    warnings = tool_warnings([tmp_path])
    assert len(warnings) == 2, warnings
    ghost, holidays = warnings
    assert f"{path}:5" in ghost and "tool 'ghost' cannot run on this worker" in ghost
    assert f"{path}:7" in holidays and "PODIUM_TEST_HOLIDAY_TOKEN" in holidays
    assert "set PODIUM_TEST_HOLIDAY_TOKEN where the worker runs" in holidays
    monkeypatch.setenv("PODIUM_TEST_HOLIDAY_TOKEN", "x")
    assert len(tool_warnings([path])) == 1
