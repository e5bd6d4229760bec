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


async def test_a_worker_with_a_catalog_runs_only_the_tools_it_defines(
    isolated_client, address, tmp_path, write_spec
):
    import pytest
    from podium.activities.error_types import from_failure
    from podium.compiler.spec_compiler import compile_spec
    from podium.starters.devserver import stop_process
    from podium.starters.launch import start_run
    from temporalio.client import WorkflowFailureError

    from tests.conftest import ISOLATED_NAMESPACE
    from tests.support.worker_process import start_worker

    worker_catalog = tmp_path / "worker-catalog.yaml"
    worker_catalog.write_text("tools:\n  vat:\n    function: tests.support.tools:vat\n")
    worker = start_worker(
        address, tmp_path / "w.log", ISOLATED_NAMESPACE, "--catalog", str(worker_catalog)
    )

    def plan_calling(function: str):
        call = {"name": "vat", "arguments": {"country": "TH", "amount": 100}}
        spec = {
            "name": "allowed_tools",
            "agents": {
                "tools": {"vat": {"function": function}},
                "agents": {
                    "a": {
                        "model": "scripted",
                        "tools": ["vat"],
                        "script": [
                            {"when": "turn == `1`", "tool_calls": [call]},
                            {"output": "{{ tool_results.vat }}"},
                        ],
                    }
                },
            },
            "steps": [{"id": "s", "agent": "a"}],
            "output": "steps.s.output",
        }
        return compile_spec(write_spec(spec, name=f"{function.split(':')[1]}.yaml"))

    try:
        same = await start_run(isolated_client, plan_calling("tests.support.tools:vat"), {})
        assert (await same.result()).output == {"country": "TH", "vat": 7.0}
        # the same tool name pointing at another callable: the worker refuses it
        other = await start_run(isolated_client, plan_calling("tests.support.tools:vat_twin"), {})
        with pytest.raises(WorkflowFailureError) as info:
            await other.result()
    finally:
        stop_process(worker)
    error = from_failure(info.value)
    assert "not defined, or is defined differently, in this worker's --catalog" in str(error)
