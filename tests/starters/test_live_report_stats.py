"""`podium status [--watch]`, `podium report` and `podium stats` as a user reads them.

Output goes to a plain (non-TTY) stream, as in a pipe: no control codes, rows a
person (or grep) can read.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from statistics import fmean

import pytest
import yaml
from podium.compiler.spec_compiler import compile_spec
from podium.starters import formatting, run_view, runs
from podium.starters.commands import report as final_report
from podium.starters.commands import run as run_cmd
from podium.starters.commands import stats, status
from podium.starters.humans import send_decision
from podium.starters.launch import start_run
from podium.workflows.humans import DecisionInput
from podium.workflows.state import RunState
from temporalio.client import WorkflowFailureError

from tests.conftest import ROOT
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("worker")
PODIUM = str(Path(sys.executable).parent / "podium")
ANSI = re.compile(r"\x1b\[")
PRICE = {"input_per_mtok": 1.0, "output_per_mtok": 2.0}


def scripted(output, **extra) -> dict:
    return {"model": "scripted", "price": PRICE, "script": [{"output": output}], **extra}


REPORT_SPEC = {
    "name": "report_demo",
    "agents": {
        "agents": {
            "fast": scripted({"text": "fast {{ topic }}"}),
            "slow": scripted({"idea": "slow {{ topic }}"}, latency="1.5s"),
            "item": scripted("item {{ x }}"),
        }
    },
    "steps": [
        {"id": "gather", "agent": "fast", "with": {"topic": "input.topic"}},
        {
            "id": "each",
            "map": {"over": "input.items", "as": "x"},
            "step": {"agent": "item", "with": {"x": "vars.x"}},
        },
        {"id": "think", "agent": "slow", "with": {"topic": "input.topic"}},
        {"id": "write", "agent": "fast", "with": {"topic": "steps.think.output.idea"}},
    ],
    "output": {"text": "steps.write.output.text"},
}
REPORT_INPUT = {"topic": "tea", "items": ["a", "b", "c"]}


def rows(text: str) -> dict[str, list[str]]:
    """Table rows by step id: the cells as a reader sees them (split on 2+ spaces)."""
    table: dict[str, list[str]] = {}
    for line in text.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) >= 6 and cells[0] not in table and not line.startswith(" "):
            table[cells[0]] = cells
    return table


@pytest.fixture(scope="module")
async def finished(client, worker, tmp_path_factory):
    """One completed run of REPORT_SPEC: (run id, result)."""
    path = tmp_path_factory.mktemp("report") / "report_demo.yaml"
    path.write_text(yaml.safe_dump(REPORT_SPEC, sort_keys=False))
    handle = await start_run(client, compile_spec(path), REPORT_INPUT)
    return handle.id, await handle.result()


async def test_status_of_a_finished_run_is_a_plain_table(client, finished):
    run_id, result = finished
    out = io.StringIO()
    assert await status.main(client, run_id, out=out) == 0
    text = out.getvalue()
    assert not ANSI.search(text)
    assert text.startswith(f"report_demo run {run_id}: completed\n")
    assert "4/4 steps finished" in text
    header = next(line for line in text.splitlines() if line.startswith("STEP"))
    assert header.split() == list(formatting.COLUMNS)
    table = rows(text)
    assert set(table) >= {"gather", "each", "think", "write"}
    gather = result.state.step("gather")
    assert table["gather"][:4] == ["gather", "completed", "fast", "1"]
    assert table["gather"][5:7] == [str(gather.usage.total_tokens), f"${gather.cost_usd:.6f}"]
    assert table["each"][1] == "completed" and table["each"][-1] == "3/3"
    assert float(table["think"][4].removesuffix(" s")) >= 1.5
    assert table["think"][2] == "slow"
    assert "  write            [offline scripted model] → " in text
    assert f"web UI: http://localhost:8233/namespaces/default/workflows/{run_id}" in text


async def test_status_of_a_waiting_run_names_the_request(client, write_spec):
    spec = {
        "name": "status_wait",
        "agents": {"agents": {"w": scripted("drafted")}},
        "steps": [
            {"id": "draft", "agent": "w"},
            {"id": "signoff", "approval": {"title": "Sign the draft", "approvers": ["ann"]}},
        ],
    }
    handle = await start_run(client, compile_spec(write_spec(spec)), {})

    async def waiting() -> RunState | None:
        state = await handle.query("status", result_type=RunState)
        return state if state.open_requests() else None

    await eventually(waiting, "the request to open", 20)
    out = io.StringIO()
    assert await status.main(client, handle.id, out=out) == 0
    text = out.getvalue()
    assert not ANSI.search(text)
    assert f"status_wait run {handle.id}: waiting" in text
    table = rows(text)
    assert table["draft"][:3] == ["draft", "completed", "w"]
    assert table["signoff"][:3] == ["signoff", "waiting", "people: ann"]
    assert "  waiting: signoff-1 (Sign the draft) for ann" in text

    # --watch in a pipe: a snapshot per change, then the final state; exit 0
    watched = io.StringIO()
    watcher = asyncio.create_task(
        status.main(client, handle.id, out=watched, watch=True, interval_s=0.1)
    )

    async def shown() -> bool:
        return "waiting: signoff-1" in watched.getvalue()

    await eventually(shown, "status --watch to show the wait", 20)
    await send_decision(handle, DecisionInput(request_id="signoff-1", outcome="approve", by="ann"))
    assert await asyncio.wait_for(watcher, 30) == 0
    text = watched.getvalue()
    assert not ANSI.search(text)
    headers = re.findall(rf"^status_wait run {handle.id}: (\w+)$", text, re.MULTILINE)
    assert headers[0] == "waiting" and headers[-1] == "completed"
    assert len(headers) == len(set(headers)), "a snapshot is printed only when something changed"
    last = text[text.rindex(f"status_wait run {handle.id}: completed") :]
    assert rows(last)["signoff"][:3] == ["signoff", "completed", "human:ann"]
    assert "waiting:" not in last


async def test_watch_on_a_terminal_redraws_in_place(client, finished):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    run_id, _ = finished
    out = Terminal()
    state = await run_view.watch(client.get_workflow_handle(run_id), out)
    assert state.status == "completed"
    assert ANSI.search(out.getvalue()) and "think" in out.getvalue()


async def test_run_wait_in_a_pipe_prints_the_table_once_at_the_end(client, write_spec):
    path = write_spec(REPORT_SPEC | {"name": "wait_demo"})
    out = io.StringIO()
    code = await run_cmd.main(
        client, spec=str(path), input_text=json.dumps(REPORT_INPUT), wait=True, out=out
    )
    assert code == 0
    text = out.getvalue()
    assert not ANSI.search(text)
    assert len(re.findall(r"^STEP\s+STATE", text, re.MULTILINE)) == 1
    assert re.search(r"^started wait_demo run wait_demo-\w+$", text, re.MULTILINE)
    assert re.search(r"^wait_demo run wait_demo-\w+: completed$", text, re.MULTILINE)
    assert "  think            [offline scripted model] → " in text
    assert rows(text)["each"][-1] == "3/3"
    assert 'output: {"text": "fast slow tea"}' in text and re.search(r"total: \d+ tokens", text)


async def test_report_marks_the_bottleneck_and_adds_up(client, finished):
    run_id, result = finished
    out = io.StringIO()
    assert await final_report.main(client, run_id, "json", out=out) == 0
    report = json.loads(out.getvalue())
    assert report["format"] == "podium.run-report/1"
    assert report["run_id"] == run_id and report["status"] == "completed"
    assert report["input"] == REPORT_INPUT
    assert report["output"] == {"text": "fast slow tea"}
    steps = {s["id"]: s for s in report["steps"]}
    assert list(steps) == ["gather", "each", "think", "write"]
    assert [s["id"] for s in report["steps"] if s["bottleneck"]] == ["think"]
    assert report["bottleneck"]["step"] == "think"
    assert report["bottleneck"]["duration_ms"] >= 1500
    assert steps["gather"]["agent"] == "fast" and steps["gather"]["attempts"] == 1
    assert steps["each"]["progress"] == {"total": 3, "done": 3, "failed": 0}
    assert steps["think"]["output"] == {"idea": "slow tea"}

    totals = report["totals"]
    for key in ("input_tokens", "output_tokens", "total_tokens"):
        assert totals[key] == sum(s[key] for s in report["steps"]) > 0
    assert totals["cost_usd"] == round(sum(s["cost_usd"] for s in report["steps"]), 8) > 0
    assert totals["total_tokens"] == result.state.usage.total_tokens
    assert totals["compensation_tokens"] == 0 and totals["calls"] == 6

    agents = {a["name"]: a for a in report["agents"]}
    assert set(agents) == {"fast", "item", "slow"}
    assert (agents["fast"]["calls"], agents["item"]["calls"], agents["slow"]["calls"]) == (2, 3, 1)
    assert agents["slow"]["p95_latency_ms"] >= 1500 and agents["item"]["error_rate"] == 0
    assert sum(a["total_tokens"] for a in report["agents"]) == totals["total_tokens"]

    out = io.StringIO()
    assert await final_report.main(client, run_id, "md", out=out) == 0
    md = out.getvalue()
    assert md.startswith(f"# Run report: {run_id}\n")
    assert '"topic": "tea"' in md  # the input
    think = next(line for line in md.splitlines() if line.startswith("| `think` |"))
    assert "**bottleneck**" in think and "| slow (offline) |" in think
    assert sum("**bottleneck**" in line for line in md.splitlines()) == 1
    assert "**Bottleneck:** `think` took" in md
    assert re.search(r"^\| slow \| 1 \| 0 \| 0% \|", md, re.MULTILINE)
    run_row = next(line for line in md.splitlines() if line.startswith("| **run** |"))
    assert f"| {totals['total_tokens']} | ${totals['cost_usd']:.6f} |" in run_row


async def test_report_lists_decisions_and_failures(client, write_spec):
    spec = {
        "name": "report_people",
        "agents": {"agents": {"w": scripted("drafted")}},
        "steps": [
            {"id": "draft", "agent": "w"},
            {"id": "signoff", "approval": {"title": "Sign it", "approvers": ["bea"]}},
        ],
    }
    handle = await start_run(client, compile_spec(write_spec(spec)), {"n": 1})

    async def asked() -> bool:
        return bool((await handle.query("status", result_type=RunState)).open_requests())

    await eventually(asked, "the request to open", 20)
    out = io.StringIO()
    assert await final_report.main(client, handle.id, "json", out=out) == 0
    report = json.loads(out.getvalue())
    assert report["status"] == "waiting" and report["requests"][0]["status"] == "open"
    await send_decision(
        handle,
        DecisionInput(request_id="signoff-1", outcome="reject", by="bea", comment="not yet"),
    )
    await handle.result()
    out = io.StringIO()
    assert await final_report.main(client, handle.id, "md", out=out) == 0
    md = out.getvalue()
    assert "## Escalations and decisions" in md
    assert "`signoff-1` (approval on `signoff`): Sign it — **reject** by bea at" in md
    assert "via update (level 0): “not yet”" in md


async def test_stats_count_runs_by_outcome(client, write_spec):
    name = f"stats_{uuid.uuid4().hex[:8]}"
    spec = {
        "name": name,
        "agents": {
            "agents": {
                "judge": {
                    "model": "scripted",
                    "price": PRICE,
                    "retry": {"max_attempts": 1},
                    "script": [{"when": "bad", "fail": "refused {{ who }}"}, {"output": "ok"}],
                }
            }
        },
        "steps": [
            {"id": "judge", "agent": "judge", "with": {"bad": "input.bad", "who": "input.who"}},
            {"id": "hold", "when": "input.hold", "approval": {"title": "Hold", "approvers": []}},
        ],
    }
    plan = compile_spec(write_spec(spec))
    inputs = [{"bad": False, "hold": False, "who": f"w{i}"} for i in range(3)]
    inputs += [
        {"bad": True, "hold": False, "who": "mallory"},  # failed
        {"bad": False, "hold": True, "who": "cancel-me"},  # cancelled while waiting
        {"bad": False, "hold": True, "who": "still-waiting"},  # running
    ]
    handles = [await start_run(client, plan, i) for i in inputs]
    try:
        for handle in handles[:3]:
            await handle.result()
        with pytest.raises(WorkflowFailureError):
            await handles[3].result()
        for handle in handles[4:]:

            async def held(handle=handle) -> bool:
                state = await handle.query("status", result_type=RunState)
                return bool(state.open_requests())

            await eventually(held, "the run to wait on its approval", 20)
        await handles[4].cancel()
        with pytest.raises(WorkflowFailureError):
            await handles[4].result()

        async def counted() -> stats.Stats | None:
            found = await stats.gather(client, name, 3600)
            return found if (found.runs, found.running) == (6, 1) else None

        found = await eventually(counted, "stats to count 6 runs, 1 running", 20, every=0.3)
        assert (found.completed, found.failed, found.cancelled, found.running) == (3, 1, 1, 1)
        assert found.success_rate == pytest.approx(3 / 5)
        durations = []
        costs = []
        for handle in handles[:5]:
            described = await handle.describe()
            durations.append((described.close_time - described.start_time).total_seconds() * 1000)
            costs.append((await runs.read_run(handle))[0].cost_usd)
        assert found.duration_p95_ms == pytest.approx(max(durations))
        assert found.duration_p50_ms == pytest.approx(sorted(durations)[2])
        assert found.cost_per_run_usd == pytest.approx(fmean(costs)) and fmean(costs) > 0
        [judge] = found.agents
        assert (judge.name, judge.calls, judge.failed) == ("judge", 5, 1)
        assert judge.error_rate == pytest.approx(1 / 6)
        assert judge.errors == {"ProviderRejectedRequest": 1}
        assert judge.p95_latency_ms is not None and not found.unreadable

        out = io.StringIO()
        assert await stats.main(client, name, "1h", out=out) == 0
        text = out.getvalue()
        assert f"runs of {name} since " in text and "(1h): 6" in text
        assert "completed 3, failed 1, cancelled 1, running 1" in text
        assert "success rate 60.0% (3 of 5 finished)" in text
        assert re.search(r"^judge\s+5\s+1\s+16\.7%\s+\d+ ms$", text, re.MULTILINE)
    finally:
        await handles[5].cancel()


async def test_unknown_run_is_one_line_naming_it(address):
    async def podium(*args: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            PODIUM,
            *args,
            cwd=ROOT,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        return proc.returncode or 0, err.decode()

    for command in (["report", "no-such-run"], ["status", "no-such-run", "--watch"]):
        code, err = await podium(*command, "--address", address)
        assert code == 1
        assert err == f"podium {command[0]}: no run 'no-such-run' (unknown workflow id)\n"
    code, err = await podium("stats", "--since", "soon", "--address", address)
    assert code == 2 and "'soon' is not a duration" in err
