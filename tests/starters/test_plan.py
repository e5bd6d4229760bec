"""``podium plan``: a scripted planner (the model's edge, offline) drafts specs that the
real compiler checks; problems go back for repair; a plan that cannot be repaired is
refused with its problems; catalog policy binds drafted and hand-written specs alike;
nothing runs until a person approves (on the terminal, or a durable review run on the
real dev server)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec
from podium.starters import exit_codes
from podium.starters.commands import plan as plan_command
from podium.workflows.state import RunState

from tests.workflows.test_humans import decide, open_request

WRITER = {
    "model": "scripted",
    "description": "Writes a short brief.",
    "capabilities": ["writing"],
    "price": {"input_per_mtok": 1.0, "output_per_mtok": 4.0},
    "script": [{"output": {"brief": "about {{ topic }}"}}],
}
MAILER = {
    "model": "scripted",
    "description": "Emails the brief to the customer.",
    "side_effects": True,
    "script": [{"output": {"sent": True}}],
}


def good_spec(agent: str = "writer", **extra) -> dict:
    return {
        "name": "brief_plan",
        "input": {
            "type": "object",
            "required": ["topic"],
            "properties": {"topic": {"type": "string"}},
        },
        "steps": [{"id": "write", "agent": agent, "with": {"topic": "input.topic"}}],
        "output": "steps.write.output",
        **extra,
    }


def catalog(tmp_path: Path, script: list[dict], policy: dict | None = None) -> Path:
    planner = {"model": "scripted", "capabilities": ["planning"], "script": script}
    content: dict = {"agents": {"writer": WRITER, "mailer": MAILER, "drafter": planner}}
    if policy is not None:
        content["policy"] = policy
    path = tmp_path / "agents.yaml"
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    return path


async def plan(tmp_path: Path, cat: Path, **kw) -> tuple[int, str]:
    out = io.StringIO()
    code = await plan_command.main(
        "Write a short brief about a topic",
        catalog=str(cat),
        output=str(tmp_path / "p.yaml"),
        out=out,
        **kw,
    )
    return code, out.getvalue()


async def test_a_valid_draft_is_written_and_shown_with_its_diagram_and_cost(tmp_path):
    cat = catalog(tmp_path, [{"output": {"spec": good_spec(), "notes": "one step"}}])
    code, text = await plan(tmp_path, cat)
    assert code == exit_codes.OK
    assert "round 1: the draft compiles" in text
    assert "drafting with planner drafter" in text  # found by capability planning
    written = yaml.safe_load((tmp_path / "p.yaml").read_text())
    assert written["agents"] == "agents.yaml"  # the catalog, relative to the spec
    compile_spec(tmp_path / "p.yaml")  # what was written compiles as it is
    assert "--- diagram (Mermaid) ---" in text and 'n_write["write: writer"]' in text
    assert "estimated cost per run: $0.0004 – $0.0124" in text  # 100 out … 1,024 out × 3
    assert "people: none" in text and "side effects: none" in text
    assert "planner's notes: one step" in text
    assert "nothing runs until a person approves it" in text


async def test_a_draft_with_problems_is_repaired_in_round_two(tmp_path):
    broken = {"when": "round == `1`", "output": {"spec": good_spec("writter")}}
    fixed = {
        "when": "previous",
        "output": {"spec": good_spec(), "notes": "{{ previous.problems }}"},
    }
    cat = catalog(tmp_path, [broken, fixed])
    code, text = await plan(tmp_path, cat)
    assert code == exit_codes.OK
    assert "round 1: 1 problem(s)" in text
    assert "unknown agent 'writter'" in text and "did you mean 'writer'?" in text
    assert "round 2: the draft compiles" in text
    assert "unknown agent 'writter'" in text.split("planner's notes:")[1]  # it was told


async def test_a_plan_that_cannot_be_repaired_is_refused_with_its_problems(tmp_path, capsys):
    cat = catalog(tmp_path, [{"output": {"spec": {"name": "x", "steps": [{"agent": "ghost"}]}}}])
    code, text = await plan(tmp_path, cat, max_rounds=2)
    assert code == exit_codes.FAILED
    assert text.count("problem(s)") == 2  # each round shown
    assert "this step needs an id" in text
    assert "no valid plan after 2 round(s)" in capsys.readouterr().err
    assert not (tmp_path / "p.yaml").exists()


async def test_a_drafted_plan_cannot_skip_the_catalogs_policy(tmp_path):
    risky = good_spec(
        "mailer",
        budget={"usd": 50},
        agents={"agents": {"mailer": {"model": "scripted"}}},  # an inline catalog: replaced
    )
    policy = {"max_budget_usd": 5, "approve_side_effects": True}
    cat = catalog(tmp_path, [{"output": {"spec": risky}}], policy)
    code, text = await plan(tmp_path, cat, max_rounds=1)
    assert code == exit_codes.FAILED
    assert "budget usd 50 is above the $5 that catalog agents.yaml allows" in text
    assert "step 'write' may call agent 'mailer', which has side effects, and no approval" in text


async def test_a_five_thousand_step_draft_is_refused_before_it_is_parsed(tmp_path):
    steps = [
        {"id": f"s{i}", "agent": "writer", "with": {"topic": "input.topic"}} for i in range(5000)
    ]
    cat = catalog(tmp_path, [{"output": {"spec": good_spec(steps=steps)}}], {"max_steps": 50})
    code, text = await plan(tmp_path, cat, max_rounds=1)
    assert code == exit_codes.FAILED
    assert "the spec has 5000 steps (nested ones included); catalog agents.yaml's policy" in text
    assert not list(tmp_path.glob("**/draft-1.yaml"))  # never written out as YAML


def test_the_policy_binds_hand_written_specs_too(tmp_path, write_spec):
    policy = {"max_budget_usd": 5, "approve_side_effects": True}
    cat = catalog(tmp_path, [], policy)
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec({**good_spec("mailer"), "agents": cat.name}))
    text = str(info.value)
    assert "caps a run's budget at $5" in text and "no approval gates it" in text
    send = {"id": "write", "agent": "mailer", "with": {"topic": "input.topic"}}
    after = {
        **good_spec("mailer"),
        "agents": cat.name,
        "budget": {"usd": 2},
        "steps": [{"id": "ok", "approval": {"title": "Send it?", "approvers": ["desk"]}}, send],
    }
    # an approval before it gates it: the run checks its decision before the effect
    # (whatever when: says; tests/workflows/test_gates.py runs it)
    assert compile_spec(write_spec(after)).approve_side_effects
    gated = {**after, "steps": [after["steps"][0], {**send, "when": "steps.ok.output.approved"}]}
    compile_spec(write_spec(gated))  # gated by the approval, a budget within the ceiling
    lax = {"id": "ok", "approval": {"title": "Send it?", "timeout": "1h", "on_timeout": "approve"}}
    with pytest.raises(CompileError):  # an approval that approves itself gates nothing
        compile_spec(write_spec({**gated, "steps": [lax, gated["steps"][1]]}))
    fallback = {**WRITER, "fallback": ["mailer"]}  # a fallback with side effects counts
    cat.write_text(
        yaml.safe_dump({"policy": policy, "agents": {"writer": fallback, "mailer": MAILER}})
    )
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec({**good_spec(), "agents": cat.name, "budget": {"usd": 1}}))
    assert "may call agent 'mailer'" in str(info.value)


async def test_run_asks_on_the_terminal_first(tmp_path, client, monkeypatch):
    cat = catalog(tmp_path, [{"output": {"spec": good_spec()}}])
    out = io.StringIO()
    code = await plan_command.main(
        "brief",
        catalog=str(cat),
        output=str(tmp_path / "p.yaml"),
        run=True,
        input_text='{"topic": "tea"}',
        client=client,
        out=out,
        ask=lambda _: "n",
    )
    assert code == exit_codes.OK and "not started" in out.getvalue()


@pytest.mark.usefixtures("worker")
async def test_a_review_run_gates_the_plan_until_a_person_approves(tmp_path, client):
    cat = catalog(tmp_path, [{"output": {"spec": good_spec()}}])
    out = io.StringIO()
    code = await plan_command.main(
        "brief",
        catalog=str(cat),
        output=str(tmp_path / "p.yaml"),
        review_run=True,
        approvers=["ops-lead"],
        input_text='{"topic": "tea"}',
        client=client,
        out=out,
    )
    assert code == exit_codes.OK, out.getvalue()
    run_id = out.getvalue().split("started review run ")[1].split(":")[0]
    handle = client.get_workflow_handle(run_id)
    state = await open_request(handle)
    [request] = state.open_requests()
    assert request.title == "Run the drafted plan brief_plan?"
    assert request.approvers == ["ops-lead"]
    assert "name: brief_plan" in request.details["spec"]  # the reviewer reads the spec
    assert state.step("plan").status == "pending"  # nothing ran before the approval
    await decide(handle, request.id, "approve", "ops-lead")
    result = await handle.result()
    assert result["output"] == {"brief": "about tea"}
    final = await handle.query("status", result_type=RunState)
    assert final.step("plan").status == "completed"


async def test_from_reviews_an_edited_spec_without_drafting(tmp_path):
    cat = catalog(tmp_path, [])  # no planner rule needed
    spec = tmp_path / "edited.yaml"
    spec.write_text(yaml.safe_dump({**good_spec(), "agents": "agents.yaml"}))
    out = io.StringIO()
    code = await plan_command.main(None, catalog=str(cat), from_spec=str(spec), out=out)
    assert code == exit_codes.OK
    assert "drafting" not in out.getvalue() and "--- review ---" in out.getvalue()


async def test_a_catalog_without_a_planner_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "agents.yaml"
    path.write_text(yaml.safe_dump({"agents": {"writer": WRITER}}))
    code = await plan_command.main("x", catalog=str(path), out=io.StringIO())
    assert code == exit_codes.USAGE
    err = capsys.readouterr().err
    assert "has no planner agent" in err and "--planner NAME" in err


async def test_from_refuses_a_spec_of_another_catalog(tmp_path, capsys):
    cat = catalog(tmp_path, [])
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump({"agents": {"writer": WRITER}}))
    spec = tmp_path / "edited.yaml"
    spec.write_text(yaml.safe_dump({**good_spec(), "agents": "other.yaml"}))
    code = await plan_command.main(None, catalog=str(cat), from_spec=str(spec), out=io.StringIO())
    assert code == exit_codes.USAGE
    assert "uses the catalog(s) other.yaml, not --catalog" in capsys.readouterr().err


async def test_a_draft_may_not_run_other_spec_files_and_its_name_stays_a_name(
    tmp_path, monkeypatch
):
    (tmp_path / "child.yaml").write_text(yaml.safe_dump({**good_spec(), "agents": "agents.yaml"}))
    nested = {
        "name": "../../escape",
        "steps": [{"id": "child", "workflow": str(tmp_path / "child.yaml")}],
    }
    cat = catalog(
        tmp_path,
        [
            {"when": "round == `1`", "output": {"spec": nested}},
            {"output": {"spec": {**good_spec(), "name": "../../escape"}}},
        ],
    )
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    code = await plan_command.main("brief", catalog=str(cat), out=out)
    text = out.getvalue()
    assert "a drafted plan may not run other spec files (workflow:)" in text
    assert code == exit_codes.OK and (tmp_path / "escape.yaml").exists()
