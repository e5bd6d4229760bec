"""Every orchestration pattern on the real dev server: results and run state."""

from __future__ import annotations

from pathlib import Path

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workflows.state import RunResult, RunState
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowFailureError, WorkflowHandle

from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("worker")

RECORD = "function:tests.support.agents:record_step"
CATALOG = {
    "agents": {
        "rec": {"model": RECORD, "heartbeat": "1s", "retry": {"max_attempts": 1}},
        "echo": {"model": "function:tests.support.agents:echo"},
        "writer": {
            "model": "scripted",
            "script": [{"output": "draft v{{ round }} ({{ feedback }})"}],
        },
        "editor": {
            "model": "scripted",
            "script": [
                {"when": "contains(draft, 'v2')", "output": {"approved": True}},
                {"output": {"approved": False, "note": "more detail"}},
            ],
        },
        "harsh": {"model": "scripted", "script": [{"output": {"approved": False}}]},
        "billing": {"model": "scripted", "script": [{"output": "billing answer"}]},
        "general": {"model": "scripted", "script": [{"output": "general answer"}]},
    }
}


def events(log: Path) -> dict[str, float]:
    """'done fast' → timestamp, from the recorder's log."""
    out = {}
    for line in log.read_text().splitlines():
        kind, step, ts = line.split()
        out[f"{kind} {step}"] = float(ts)
    return out


async def start(client, write_spec, steps, run_input=None, **extra) -> WorkflowHandle:
    spec = {"name": "p", "agents": "agents.yaml", "steps": steps, **extra}
    return await start_run(client, compile_spec(write_spec(spec, CATALOG)), run_input or {})


async def run(client, write_spec, steps, run_input=None, **extra) -> RunResult:
    return await (await start(client, write_spec, steps, run_input, **extra)).result()


async def fails(client, write_spec, steps, run_input=None) -> tuple[str, RunState]:
    handle = await start(client, write_spec, steps, run_input)
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    return info.value.cause.message, await handle.query("status", result_type=RunState)


def rec(step_id: str, seconds: float, **extra) -> dict:
    return {
        "id": step_id,
        "agent": "rec",
        "with": {"step": f"'{step_id}'", "log": "input.log", "seconds": seconds, **extra},
    }


async def test_parallel_branches_are_independent(client, write_spec, tmp_path):
    log = tmp_path / "log"
    steps = [
        {"id": "fan", "parallel": [rec("fast", 0.2), rec("slow", 3)]},
        {**rec("after_fast", 0.1), "needs": ["fast"]},
        {"id": "join", "agent": "echo", "with": {"value": "steps.fan.output"}, "needs": ["fan"]},
    ]
    result = await run(client, write_spec, steps, {"log": str(log)})
    t = events(log)
    assert t["done after_fast"] < t["done slow"], (
        "downstream of the fast branch waited for the slow one"
    )
    assert result.output == {"fast": {"step": "fast"}, "slow": {"step": "slow"}}
    assert [s.status for s in result.state.steps] == ["completed"] * 5
    assert result.state.step("fan").progress.done == 2


async def test_join_any_takes_the_first_success_and_cancels_the_losers(
    client, write_spec, tmp_path
):
    log = tmp_path / "log"
    steps = [
        {
            "id": "race",
            "join": "any",
            "parallel": [rec("quick", 0.2), rec("slow1", 20), rec("slow2", 20)],
        }
    ]
    handle = await start(client, write_spec, steps, {"log": str(log)})
    result = await handle.result()
    kinds = [e.event_type for e in (await handle.fetch_history()).events]
    # the run did not wait for the 20 s losers: it completed with the winner's call the only
    # one completed, after asking to cancel the two others
    assert kinds[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    assert kinds.count(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) == 1
    assert kinds.count(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED) == 2
    assert result.output["quick"] == {"step": "quick"}
    assert result.output["slow1"] is None and result.output["slow2"] is None
    statuses = {s.id: s.status for s in result.state.steps}
    assert statuses == {
        "race": "completed",
        "quick": "completed",
        "slow1": "cancelled",
        "slow2": "cancelled",
    }

    async def cancelled() -> bool:
        return {"cancelled slow1", "cancelled slow2"} <= set(events(log))

    await eventually(cancelled, "the losing activities to see cancellation", timeout=10)


async def test_quorum_and_continue_on_branch_error(client, write_spec, tmp_path):
    log = tmp_path / "log"
    steps = [
        {
            "id": "vote",
            "join": {"quorum": 2},
            "parallel": [
                rec("a", 0.1),
                {**rec("b", 0.1, fail=True), "on_error": "continue"},
                rec("c", 0.3),
                rec("d", 20),
            ],
        }
    ]
    result = await run(client, write_spec, steps, {"log": str(log)})
    statuses = {s.id: s.status for s in result.state.steps}
    assert statuses["a"] == statuses["c"] == "completed" and statuses["b"] == "failed"
    assert statuses["d"] == "cancelled"
    assert any("branch 'b'" in f for f in result.state.flags)


async def test_a_failing_branch_fails_the_join_by_default(client, write_spec, tmp_path):
    steps = [{"id": "fan", "parallel": [rec("ok", 0.1), rec("bad", 0.1, fail=True)]}]
    message, state = await fails(client, write_spec, steps, {"log": str(tmp_path / "log")})
    assert "step 'fan'" in message and "bad failed on purpose" in message
    assert state.step("bad").status == "failed" and state.status == "failed"


async def test_map_keeps_input_order(client, write_spec):
    steps = [
        {
            "id": "each",
            "map": {"over": "input.items", "as": "x", "max_concurrency": 3},
            "step": {"agent": "echo", "with": {"value": "[vars.index, vars.x]"}},
        }
    ]
    result = await run(client, write_spec, steps, {"items": ["a", "b", "c", "d", "e"]})
    assert result.output == [[0, "a"], [1, "b"], [2, "c"], [3, "d"], [4, "e"]]
    assert result.state.step("each").progress.model_dump() == {"total": 5, "done": 5, "failed": 0}


async def test_map_over_a_non_list_fails_naming_step_and_value(client, write_spec):
    steps = [
        {
            "id": "each",
            "map": {"over": "input.items"},
            "step": {"agent": "echo", "with": {"value": "vars.item"}},
        }
    ]
    message, state = await fails(client, write_spec, steps, {"items": "SG"})
    assert "step 'each'" in message and "gave str 'SG', not a list" in message
    assert state.step("each").status == "failed"


@pytest.mark.slow
async def test_map_of_2000_items_runs_in_batches_and_keeps_history_small(client, write_spec):
    steps = [
        {
            "id": "each",
            "map": {"over": "input.items", "max_concurrency": 500, "batch_size": 100},
            "step": {"agent": "echo", "with": {"value": "vars.item"}},
        }
    ]
    spec = {"name": "big", "agents": "agents.yaml", "steps": steps}
    handle = await start_run(
        client, compile_spec(write_spec(spec, CATALOG)), {"items": list(range(2000))}
    )
    result = await handle.result()
    assert result.output == list(range(2000))
    history = await handle.fetch_history()
    assert len(history.events) < 2000, f"parent history has {len(history.events)} events"
    assert len(history.events) < 200


async def test_route_picks_case_or_default(client, write_spec):
    route = {
        "id": "desk",
        "route": {
            "on": "input.kind",
            "cases": {"billing": {"agent": "billing"}},
            "default": {"agent": "general"},
        },
    }
    billing = await run(client, write_spec, [route], {"kind": "billing"})
    other = await run(client, write_spec, [route], {"kind": "returns"})
    assert billing.output == "billing answer" and billing.state.step("desk").route_case == "billing"
    assert other.output == "general answer" and other.state.step("desk").route_case == "default"


async def test_route_without_match_or_default_fails_naming_the_value(client, write_spec):
    route = {
        "id": "desk",
        "route": {"on": "input.kind", "cases": {"billing": {"agent": "billing"}}},
    }
    message, state = await fails(client, write_spec, [route], {"kind": "refund"})
    assert "step 'desk'" in message and "'refund' matches no case (cases: billing)" in message
    assert state.step("desk").status == "failed"


async def test_refine_loops_until_accepted(client, write_spec):
    refine = {
        "id": "reply",
        "refine": {
            "producer": {
                "agent": "writer",
                "with": {"round": "vars.round", "feedback": "vars.feedback.note"},
            },
            "reviewer": {"agent": "editor", "with": {"draft": "vars.draft"}},
            "until": "vars.review.approved",
            "max_rounds": 3,
        },
    }
    result = await run(client, write_spec, [refine])
    step = result.state.step("reply")
    assert result.output == "draft v2 (more detail)"  # round 2 saw round 1's feedback
    assert step.converged is True and [r.accepted for r in step.rounds] == [False, True]
    assert step.rounds[0].draft == "draft v1 ()" and not result.state.flags


async def test_refine_that_never_converges_is_flagged(client, write_spec):
    refine = {
        "id": "reply",
        "refine": {
            "producer": {"agent": "writer", "with": {"round": "vars.round"}},
            "reviewer": {"agent": "harsh", "with": {"draft": "vars.draft"}},
            "until": "vars.review.approved",
            "max_rounds": 2,
        },
    }
    result = await run(client, write_spec, [refine])
    assert (
        result.state.step("reply").converged is False
        and len(result.state.step("reply").rounds) == 2
    )
    assert "without the reviewer's acceptance" in result.state.flags[0]


async def test_sub_workflow_runs_as_a_child_and_maps_output(client, write_spec, tmp_path):
    (tmp_path / "child.yaml").write_text(
        "name: child\nagents: agents.yaml\ninput: {type: object, required: [v]}\n"
        "steps:\n  - {id: e, agent: echo, with: {value: input.v}}\n"
    )
    steps = [
        {"id": "sub", "workflow": "child.yaml", "with": {"v": "input.value"}},
        {"id": "after", "agent": "echo", "with": {"value": "steps.sub.output"}},
    ]
    result = await run(client, write_spec, steps, {"value": 42})
    assert result.output == 42
    child_id = result.state.step("sub").child_workflow_id
    child = await client.get_workflow_handle(child_id).describe()
    assert child.parent_id is not None and child.status.name == "COMPLETED"


async def test_when_skips_with_reason_and_optional_failure_degrades(client, write_spec, tmp_path):
    steps = [
        {"id": "maybe", "agent": "echo", "with": {"value": "'x'"}, "when": "input.go"},
        {**rec("fragile", 0.1, fail=True), "optional": True},
        {
            "id": "last",
            "agent": "echo",
            "with": {"value": "[steps.maybe.output, steps.fragile.output]"},
        },
    ]
    result = await run(client, write_spec, steps, {"go": False, "log": str(tmp_path / "log")})
    state = result.state
    assert state.step("maybe").status == "skipped"
    assert state.step("maybe").skipped_reason == "condition 'input.go' was false"
    assert state.step("fragile").status == "failed" and state.status == "completed"
    assert result.output == [None, None]
    assert any("optional step 'fragile' failed" in f for f in state.flags)


async def test_needs_lets_independent_steps_overlap(client, write_spec, tmp_path):
    log = tmp_path / "log"
    steps = [rec("a", 1.5), {**rec("b", 1.5), "needs": []}, {**rec("c", 0.1), "needs": ["a", "b"]}]
    await run(client, write_spec, steps, {"log": str(log)})
    t = events(log)
    assert t["start b"] < t["done a"], "b waited for a although it needs nothing"
    assert t["start c"] >= max(t["done a"], t["done b"])


async def test_join_all_with_a_tolerated_branch_failure_completes(client, write_spec, tmp_path):
    steps = [
        {
            "id": "fan",
            "parallel": [
                rec("a", 0.1),
                {**rec("b", 0.1, fail=True), "on_error": "continue"},
                rec("c", 0.3),
            ],
        },
        {**rec("after_b", 0.1), "needs": ["b"]},
    ]
    result = await run(client, write_spec, steps, {"log": str(tmp_path / "log")})
    assert result.output == {"step": "after_b"}
    state = result.state
    assert state.step("b").status == "failed" and state.step("b").tolerated
    assert state.step("fan").status == "completed" and state.step("c").status == "completed"


async def test_steps_needing_never_run_branch_steps_do_not_hang(client, write_spec, tmp_path):
    log = {"log": str(tmp_path / "log")}
    skipped = [
        {"id": "fan", "when": "`false`", "parallel": [rec("x", 0.1)]},
        {**rec("after_x", 0.1), "needs": ["x"]},
    ]
    result = await run(client, write_spec, skipped, log)
    assert result.state.step("x").status == "skipped" and result.output == {"step": "after_x"}
    race = [
        {
            "id": "race",
            "join": "any",
            "parallel": [
                rec("quick", 0.1),
                {"id": "slow", "steps": [rec("slow1", 20), rec("slow2", 0.1)]},
            ],
        },
        {**rec("after_slow2", 0.1), "needs": ["slow2"]},
    ]
    result = await run(client, write_spec, race, log)
    assert result.state.step("slow2").status == "skipped"
    assert result.state.step("slow1").status == "cancelled"
    assert result.state.step("after_slow2").status == "completed"
