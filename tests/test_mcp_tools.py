"""MCP tools against a real Model Context Protocol server the project did not write:
the reference ``mcp-server-time`` (PyPI), started on stdio by the compiler (to pin its
tool list into the plan) and by the worker (for each call)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workflows.plan import Plan

from tests.support.polling import eventually
from tests.workflows.test_humans import decide, open_request

pytestmark = pytest.mark.usefixtures("worker")
SERVER = [sys.executable, "-m", "mcp_server_time", "--local-timezone", "UTC"]


def spec(tools: dict, script: list[dict]) -> dict:
    return {
        "name": "mcp_time",
        "agents": {
            "tools": tools,
            "agents": {"clock": {"model": "scripted", "tools": list(tools), "script": script}},
        },
        "steps": [{"id": "when", "agent": "clock", "with": {"city": "input.city"}}],
        "output": "steps.when.output",
    }


CONVERT = {
    "when": "turn == `1`",
    "tool_calls": [
        {
            "name": "convert",
            "arguments": {
                "source_timezone": "Europe/London",
                "time": "14:30",
                "target_timezone": "{{ city }}",
            },
        }
    ],
}


async def test_an_mcp_tool_is_pinned_at_compile_time_and_called_by_the_worker(client, write_spec):
    tools = {"convert": {"mcp": {"command": SERVER, "tool": "convert_time"}}}
    script = [CONVERT, {"output": "{{ tool_results.convert.target.datetime }}"}]
    plan = compile_spec(write_spec(spec(tools, script)))
    [tool] = plan.steps[0].agent.tools
    assert (tool.kind, tool.mcp_tool, tool.mcp_command) == ("mcp", "convert_time", SERVER)
    assert tool.parameters["required"] == ["source_timezone", "time", "target_timezone"]
    assert "Convert time" in tool.description  # the server's own words, pinned
    assert Plan.model_validate_json(plan.model_dump_json()) == plan  # travels in history
    handle = await start_run(client, plan, {"city": "Asia/Tokyo"})
    result = await handle.result()
    assert result.output.endswith("T23:30:00+09:00")  # 14:30 in London is 23:30 in Tokyo
    [call] = result.state.step("when").tool_calls
    assert (call.tool, call.status) == ("convert", "ok")


async def test_an_error_from_the_server_goes_back_to_the_model(client, write_spec):
    tools = {"convert": {"mcp": {"command": SERVER, "tool": "convert_time"}}}
    script = [CONVERT, {"output": "{{ tool_results.convert.error }}"}]
    handle = await start_run(
        client, compile_spec(write_spec(spec(tools, script))), {"city": "Mars/Olympus"}
    )
    result = await handle.result()
    assert "Mars/Olympus" in result.output
    assert result.state.step("when").tool_calls[0].status == "error"


def test_a_server_that_cannot_start_or_lacks_the_tool_is_refused_at_compile_time(write_spec):
    broken = [
        sys.executable,
        "-c",
        "import sys; print('no licence key', file=sys.stderr); sys.exit(3)",
    ]
    tools = {
        "convert": {"mcp": {"command": SERVER, "tool": "convert_tme"}},
        "dead": {"mcp": {"command": broken}},
        "missing": {"mcp": {"command": ["/nonexistent/mcp-server"]}},
    }
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(spec(tools, [])))
    text = str(info.value)
    assert (
        "the MCP server has no tool 'convert_tme'" in text and "did you mean 'convert_time'" in text
    )
    assert "no licence key" in text  # what the server said on stderr
    assert "'/nonexistent/mcp-server' cannot start" in text


async def test_an_mcp_server_over_streamable_http(client, write_spec):
    import subprocess

    import httpx
    from podium.starters.devserver import free_port, stop_process

    port = free_port()
    serve = (
        "import anyio; from mcp_server_time.server import create_server; "
        f"anyio.run(lambda: create_server('UTC').run_streamable_http_async(port={port}))"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", serve],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:

        async def up() -> bool:  # when it answers HTTP at all
            try:
                httpx.get(f"http://127.0.0.1:{port}/mcp", timeout=1)
                return True
            except httpx.TransportError:
                assert server.poll() is None, "the MCP server exited"
                return False

        await eventually(up, "the MCP server to answer HTTP", timeout=30)
        url = f"http://127.0.0.1:{port}/mcp"
        tools = {"convert": {"mcp": {"url": url, "tool": "convert_time"}}}
        script = [CONVERT, {"output": "{{ tool_results.convert.target.datetime }}"}]
        plan = compile_spec(write_spec(spec(tools, script)))
        assert plan.steps[0].agent.tools[0].mcp_url == url
        result = await (await start_run(client, plan, {"city": "Asia/Bangkok"})).result()
    finally:
        stop_process(server, grace_s=5)
    assert result.output.endswith("T21:30:00+07:00")


async def test_an_mcp_tool_gets_the_calls_idempotency_key_in_meta(client, write_spec):
    booking = [sys.executable, "-m", "tests.support.mcp_booking"]
    book_seat = {"command": booking, "tool": "book_seat"}
    tools = {"book": {"mcp": book_seat, "side_effects": True, "approval": {"approvers": ["ops"]}}}
    book = {
        "when": "turn == `1`",
        "tool_calls": [{"name": "book", "arguments": {"flight": "SQ 972", "seat": "12A"}}],
    }
    plan = compile_spec(write_spec(spec(tools, [book, {"output": "{{ tool_results.book }}"}])))
    handle = await start_run(client, plan, {"city": "Bangkok"})
    state = await open_request(handle)
    await decide(handle, state.open_requests()[0].id, "approve", "ops")
    result = await handle.result()
    [call] = result.state.step("when").tool_calls
    assert result.output["booking"] == "BK-1" and result.output["seat"] == "12A"
    assert result.output["key"] == call.key  # <run>/<step>/<loop>/<turn>/<call>, in _meta


async def test_calls_share_one_server_process_which_is_restarted_if_it_dies(client, write_spec):
    booking = [sys.executable, "-m", "tests.support.mcp_booking"]
    tools = {"pid": {"mcp": {"command": booking, "tool": "server_pid"}}}
    ask = {"when": "turn <= `3`", "tool_calls": [{"name": "pid", "arguments": {}}]}
    plan = compile_spec(write_spec(spec(tools, [ask, {"output": "{{ tool_results.pid }}"}])))
    first = await (await start_run(client, plan, {"city": "Hanoi"})).result()
    again = await (await start_run(client, plan, {"city": "Hanoi"})).result()
    pid = first.output["pid"]
    assert again.output["pid"] == pid  # 6 calls, one server process (no start per call)
    os.kill(pid, signal.SIGKILL)
    await asyncio.sleep(0.2)
    after = await (await start_run(client, plan, {"city": "Hanoi"})).result()
    assert after.output["pid"] != pid  # started again; the run did not notice
    assert [c.status for c in after.state.step("when").tool_calls] == ["ok"] * 3


async def test_a_server_printing_during_a_call_still_answers_and_is_warned_about_once(caplog):
    from podium.activities.tool_contracts import ToolCallInput, ToolSpec
    from podium.activities.tools.mcp import call_mcp_tool

    chatty = [sys.executable, "-m", "tests.support.mcp_chatty"]
    shout = ToolSpec(name="shout", kind="mcp", mcp_command=chatty, mcp_tool="shout")
    with caplog.at_level("WARNING"):
        first = await call_mcp_tool(ToolCallInput(tool=shout, arguments={"word": "hi"}))
        again = await call_mcp_tool(ToolCallInput(tool=shout, arguments={"word": "yo"}))
    assert (first, again) == ("HI", "YO")
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        f"MCP server {' '.join(chatty)!r} wrote non-protocol output on stdout: 'shouting hi'; "
        "servers must log to stderr (stdout carries only protocol messages)"
    ]  # once, and not the SDK's traceback per line


MARKED = [sys.executable, "-m", "tests.support.mcp_marked"]


def test_a_tool_its_server_marks_destructive_needs_side_effects(write_spec):
    delete = {"command": MARKED, "tool": "delete_entities"}
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(spec({"delete": {"mcp": delete}}, [])))
    [problem] = info.value.problems
    assert problem.message == (
        "tool 'delete': its MCP server marks 'delete_entities' destructive (destructiveHint), "
        "and the catalog does not say side_effects: true"
    )
    assert problem.hint == (
        "add side_effects: true, with approval: (a person approves each call) or "
        "compensate: (a tool that undoes it if the run fails) unless it is only the undo "
        "of another tool"
    )
    declared = {"mcp": delete, "side_effects": True, "approval": {"approvers": ["ops"]}}
    plan = compile_spec(write_spec(spec({"delete": declared}, [])))
    assert plan.steps[0].agent.tools[0].side_effects


async def test_a_stdio_server_gets_its_declared_env_and_nothing_else(monkeypatch, write_spec):
    from podium.activities.tool_contracts import ToolCallInput
    from podium.activities.tools.mcp import call_mcp_tool

    monkeypatch.setenv("PODIUM_TEST_MCP_TOKEN", "tok-1234567")
    monkeypatch.setenv("PODIUM_TEST_NOT_FOR_MCP", "private")
    env = {"API_TOKEN": "${PODIUM_TEST_MCP_TOKEN}", "REGION": "${PODIUM_TEST_REGION:-th}"}
    tools = {"env": {"mcp": {"command": MARKED, "tool": "environment", "env": env}}}
    plan = compile_spec(write_spec(spec(tools, [])))  # (the listing starts it with env too)
    [tool] = plan.steps[0].agent.tools
    assert tool.mcp_env == env and "tok-1234567" not in plan.model_dump_json()
    seen = await call_mcp_tool(ToolCallInput(tool=tool))
    assert seen["region"] == "th" and seen["token_length"] == len("tok-1234567")
    # what the MCP SDK passes by default (Python may add LC_CTYPE), and the declared ones
    default = {"HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LC_CTYPE"}
    assert set(seen["names"]) - default == {"API_TOKEN", "REGION"}


def test_an_env_variable_unset_where_the_server_starts_is_named(monkeypatch, write_spec):
    monkeypatch.delenv("PODIUM_TEST_UNSET_TOKEN", raising=False)
    env = {"API_TOKEN": "${PODIUM_TEST_UNSET_TOKEN}"}
    tools = {"env": {"mcp": {"command": MARKED, "tool": "environment", "env": env}}}
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(spec(tools, [])))
    [problem] = info.value.problems
    assert problem.message == (
        f"tool 'env': MCP server {' '.join(MARKED)!r} needs environment variable "
        "PODIUM_TEST_UNSET_TOKEN (its env: API_TOKEN), and it is not set here; set it, or "
        "give a default: ${PODIUM_TEST_UNSET_TOKEN:-…}"
    )
    assert "set the variable where you compile as well as on the workers" in problem.hint
    broken = {"mcp": {"url": "http://127.0.0.1:9/mcp", "env": {"A": "${oops"}}}
    with pytest.raises(CompileError, match=r"env: is for a server started with command"):
        compile_spec(write_spec(spec({"remote": broken}, [])))


def test_a_workers_catalog_must_declare_the_same_env():
    from podium.activities.tool_contracts import ToolSpec
    from podium.activities.tools.allowed import allow_only, fingerprint, refusal

    mine = ToolSpec(name="t", kind="mcp", mcp_command=MARKED, mcp_env={"A": "${A}"})
    other = mine.model_copy(update={"mcp_env": {"A": "${A}", "LD_PRELOAD": "/tmp/x.so"}})
    allow_only([fingerprint(mine)])
    try:
        assert refusal(mine) is None and refusal(other) is not None
    finally:
        allow_only(None)
