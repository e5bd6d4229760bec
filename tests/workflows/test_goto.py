"""Dynamic control as a value: an agent's answer (``goto``) picks the next step, within
the bounds the spec declares."""

from __future__ import annotations

import pytest
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from temporalio.client import WorkflowFailureError

pytestmark = pytest.mark.usefixtures("worker")

CATALOG = {
    "agents": {
        "writer": {"model": "function:tests.support.agents:echo"},
        "reviewer": {"model": "function:tests.support.agents:counting_reviewer"},
    }
}


def spec(rounds: int, then: str | None = None, max_jumps: int = 3) -> dict:
    review_with = {"log": "input.log", "rounds": rounds, "back": "'write'"}
    if then is not None:
        review_with["then"] = f"'{then}'"
    return {
        "name": "loop",
        "agents": "agents.yaml",
        "steps": [
            {"id": "write", "agent": "writer", "with": {"value": "steps.review.output.round"}},
            {
                "id": "review",
                "agent": "reviewer",
                "with": review_with,
                "goto": {"to": ["write", "end"], "max": max_jumps},
            },
            {"id": "publish", "agent": "writer", "with": {"value": "steps.write.output"}},
        ],
        "output": {"published": "steps.publish.output", "rounds": "steps.review.output.round"},
    }


async def test_an_answer_sends_the_run_back_and_the_loop_ends_when_it_says_so(
    client, write_spec, tmp_path
):
    log = tmp_path / "reviews.log"
    plan = compile_spec(write_spec(spec(rounds=3), CATALOG))
    schema = plan.steps[1].agent.output_schema
    assert schema["properties"]["goto"]["enum"] == [None, "write", "end"]
    result = await (await start_run(client, plan, {"log": str(log)})).result()
    # write reads the review of the round before (null on the first pass)
    assert result.output == {"published": 2, "rounds": 3}
    assert [(j.step, j.to, j.count) for j in result.state.jumps] == [
        ("review", "write", 1),
        ("review", "write", 2),
    ]
    assert [s.status for s in result.state.steps] == ["completed"] * 3
    assert "review → write (jump 2 of at most 3)" in result.state.flags


async def test_end_skips_the_rest(client, write_spec, tmp_path):
    plan = compile_spec(write_spec(spec(rounds=1, then="end"), CATALOG))
    result = await (await start_run(client, plan, {"log": str(tmp_path / "r.log")})).result()
    publish = result.state.step("publish")
    assert publish.status == "skipped" and "'review' sent the run to 'end'" in (
        publish.skipped_reason or ""
    )


async def test_one_jump_more_than_max_fails_the_step_clearly(client, write_spec, tmp_path):
    plan = compile_spec(write_spec(spec(rounds=10, max_jumps=2), CATALOG))
    handle = await start_run(client, plan, {"log": str(tmp_path / "r.log")})
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert "step 'review' asked to go to 'write', jump 3 of at most 2 (goto.max)" in str(
        info.value.cause.message
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: s["steps"][1]["goto"].update(to=["nowhere"]),
            "goto: 'nowhere' is not a top-level step",
        ),
        (
            lambda s: s["steps"][2].update(needs=["review"]),
            "goto: needs top-level steps that run in order",
        ),
        (
            lambda s: s["steps"].__setitem__(
                1, {"id": "p", "parallel": [{**s["steps"][1], "id": "inner"}]}
            ),
            "goto: is for top-level agent steps",
        ),
    ],
)
def test_goto_bounds_are_checked_when_compiling(write_spec, change, message):
    bad = spec(rounds=1)
    change(bad)
    with pytest.raises(CompileError, match=message):
        compile_spec(write_spec(bad, CATALOG))


async def test_an_offline_agent_with_no_script_goes_on_in_order(client, write_spec):
    catalog = {"agents": {"writer": {"model": "scripted"}, "reviewer": {"model": "scripted"}}}
    offline = {
        "name": "offline_loop",
        "agents": "agents.yaml",
        "steps": [
            {"id": "write", "agent": "writer"},
            {"id": "review", "agent": "reviewer", "goto": {"to": ["write"], "max": 1}},
            {"id": "publish", "agent": "writer"},
        ],
    }
    result = await (
        await start_run(client, compile_spec(write_spec(offline, catalog)), {})
    ).result()
    assert result.state.jumps == [] and result.state.step("publish").status == "completed"
