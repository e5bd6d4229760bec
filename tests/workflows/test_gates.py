"""Approval gates that gate: under ``policy: approve_side_effects`` a side effect runs only
after an approval that comes before it in the plan said yes — whatever its ``when:``
says, and even in a plan edited by hand. Compiled, then run on the real dev server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from podium.activities.errors import UngatedSideEffect
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec
from podium.starters.humans import send_decision
from podium.starters.launch import start_run
from podium.starters.plan_review import review
from podium.starters.request_view import show_lines
from podium.workflows.gates import gates
from podium.workflows.humans import DecisionInput
from podium.workflows.state import RunResult, RunState
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowFailureError, WorkflowHandle

from tests.support.polling import eventually

MAILER = {
    "model": "function:tests.support.agents:record_step",
    "side_effects": True,
    "retry": {"max_attempts": 1},
}
CATALOG = {
    "policy": {"approve_side_effects": True},
    "agents": {
        "writer": {"model": "scripted", "script": [{"output": {"text": "hello"}}]},
        "mailer": MAILER,
        "unmailer": {**MAILER, "undo": None},
        "paired": {**MAILER, "undo": "unmailer"},
        "bystander": {"model": "scripted", "script": [{"output": {"ok": True}}]},
    },
}
OK = {"id": "ok", "approval": {"title": "Send it?", "approvers": ["deal-desk"]}}


def send(log: Path | str = "unused.log", **extra) -> dict:
    with_ = {"log": f"'{log}'", "step": "'send'", "seconds": 0}
    return {"id": "send", "agent": "mailer", "with": with_, **extra}


def spec(*steps: dict, **extra) -> dict:
    return {"name": "gated", "agents": "agents.yaml", "steps": list(steps), **extra}


def refusal(write_spec, *steps: dict) -> str:
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(spec(*steps), CATALOG))
    return str(info.value)


# -- the compiler reads the plan's structure, not the expressions ----------------------
@pytest.mark.parametrize(
    "when",
    [
        "steps.ok.output.approved",
        "steps.ok.output.approved == `false`",
        "steps.ok.output.approved || `true`",
        "steps.ok.output.by",
        "!(steps.ok.output.approved)",
        None,
    ],
)
def test_an_approval_before_the_effect_gates_it_whatever_when_says(write_spec, when):
    extra = {"when": when} if when else {}
    plan = compile_spec(write_spec(spec(OK, send(**extra)), CATALOG))
    assert plan.approve_side_effects
    assert gates(plan.steps)["send"].approvals == ("ok",)


def test_reading_an_approval_that_does_not_come_first_is_refused(write_spec):
    # the approval runs beside the effect, not before it: reading it in when: is not a gate
    side_by_side = {"id": "both", "parallel": [OK, send(when="steps.ok.output.approved")]}
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(spec(side_by_side), CATALOG))
    assert "may not have run yet" in str(info.value)  # (when: cannot even read it)
    unrelated = {**send(), "needs": []}
    text = refusal(write_spec, OK, unrelated)
    assert "step 'send' may call agent 'mailer', which has side effects, and no approval" in text
    lax = {"id": "ok", "approval": {"title": "Send?", "timeout": "1h", "on_timeout": "approve"}}
    assert "no approval gates it" in refusal(write_spec, lax, send())


def test_an_approval_earlier_in_the_same_branch_or_needed_gates_it(write_spec):
    branch = {"id": "b", "steps": [OK, send()]}
    other = {"id": "note", "agent": "writer"}
    plan = compile_spec(write_spec(spec({"id": "par", "parallel": [branch, other]}), CATALOG))
    assert gates(plan.steps)["send"].approvals == ("ok",)
    far = {**send(), "needs": ["note"]}
    plan = compile_spec(
        write_spec(spec(OK, {"id": "note", "agent": "writer", "needs": ["ok"]}, far), CATALOG)
    )
    assert gates(plan.steps)["send"].approvals == ("ok",)


def test_only_the_undo_the_catalog_pairs_with_an_agent_stands_in_for_an_approval(write_spec):
    undo = {"agent": "unmailer", "with": {"log": "'x'", "step": "'undo'"}}
    text = refusal(write_spec, send(compensate={"agent": "writer"}))
    assert "does not count: the catalog pairs agent 'mailer' with no undo" in text
    assert "declare undo: <agent> on 'mailer'" in text
    paired = {**send(compensate=undo), "agent": "paired"}
    plan = compile_spec(write_spec(spec(paired), CATALOG))
    assert gates(plan.steps) == {}  # undone if the run fails: no approval needed
    wrong = {**send(compensate={"agent": "writer"}), "agent": "paired"}
    text = refusal(write_spec, wrong)
    assert (
        "compensate: calls 'writer', but the catalog pairs agent 'paired' with 'unmailer'" in text
    )


def test_an_undo_with_side_effects_must_be_the_one_the_catalog_pairs(write_spec):
    # gated by an approval, but its undo would run the mailer without asking anyone
    sneaky = {**send(), "compensate": {"agent": "unmailer"}}
    text = refusal(write_spec, OK, sneaky)
    assert "its compensate: calls 'unmailer', which has side effects and is not the undo" in text


def test_an_approval_counts_only_if_it_names_who_may_decide(write_spec):
    anyone = {"id": "ok", "approval": {"title": "Send it?"}}
    assert "approval 'ok' lets anyone decide" in refusal(write_spec, anyone, send())
    catalog = {**CATALOG, "policy": {"approve_side_effects": True, "approvers": ["cfo"]}}
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(spec(OK, send()), catalog))
    assert "approval 'ok' asks deal-desk, who may not approve side effects" in str(info.value)
    cfo = {"id": "ok", "approval": {"title": "Send it?", "approvers": ["cfo"]}}
    plan = compile_spec(write_spec(spec(cfo, send()), catalog))
    assert plan.effect_approvers == ["cfo"]
    escalated = {
        "id": "ok",
        "approval": {**cfo["approval"], "escalate": [{"to": ["x"], "after": "1h"}]},
    }
    with pytest.raises(CompileError):
        compile_spec(write_spec(spec(escalated, send()), catalog))


def test_an_approval_inside_a_map_item_gates_nothing_after_the_map(write_spec):
    per_item = {"id": "each", "map": {"over": "input.xs"}, "step": OK}
    text = refusal(write_spec, per_item, send())
    assert "no approval gates it" in text


def test_a_webhook_is_an_effect_no_approval_gates(write_spec):
    text = refusal_with(write_spec, spec(OK, send(), notify=["https://collector.test/x"]))
    assert "webhook 'https://collector.test/x' reaches 'collector.test'" in text
    assert "list its host in policy: webhook_hosts" in text


def refusal_with(write_spec, whole: dict, catalog: dict = CATALOG) -> str:
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(whole, catalog))
    return str(info.value)


def test_a_catalog_undo_must_name_an_agent_with_a_place_to_fix(write_spec):
    catalog = {**CATALOG, "agents": {**CATALOG["agents"], "paired": {**MAILER, "undo": "unmailr"}}}
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(spec({**send(), "agent": "paired"}), catalog))
    text = str(info.value)
    assert "undo: names 'unmailr', which is not an agent here" in text
    assert "unmailer" in text  # the suggestion


def test_a_negation_is_checked_like_any_expression(write_spec):
    text = refusal(write_spec, OK, send(when="!(steps.ghost.output.approved)"))
    assert "expression reads unknown step 'ghost'" in text
    text = refusal(write_spec, OK, send(when="steps.ok.output.by && !steps.ok.output.approved"))
    assert "'!' negates 'steps' alone" in text and "write !(steps.ok.output.approved)" in text


def test_webhooks_outside_the_allow_list_are_refused(write_spec):
    catalog = {**CATALOG, "policy": {"webhook_hosts": ["hooks.example.com"]}}
    ok = spec(send(), notify=["https://hooks.example.com/podium"])
    compile_spec(write_spec(ok, catalog))
    bad = spec(send(), notify=["https://collector.evil.test/x"])
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(bad, catalog))
    assert "reaches 'collector.evil.test', which catalog agents.yaml does not allow" in str(
        info.value
    )


# -- and the interpreter checks the decision again, right before the effect ------------
async def run_and_decide(client, plan, outcome: str) -> tuple[RunResult, WorkflowHandle]:
    handle = await start_run(client, plan, {})

    async def request() -> str | None:
        state = await handle.query("status", result_type=RunState)
        return next((r.id for r in state.open_requests()), None)

    request_id = await eventually(request, "the approval request")
    await send_decision(
        handle, DecisionInput(request_id=request_id, outcome=outcome, by="deal-desk")
    )
    return await handle.result(), handle


@pytest.mark.usefixtures("worker")
@pytest.mark.parametrize(
    "when",
    ["steps.ok.output.approved == `false`", "steps.ok.output.by", "!(steps.ok.output.approved)"],
)
async def test_a_rejected_approval_stops_the_effect_even_when_when_says_go(
    client, write_spec, tmp_path, when
):
    log = tmp_path / "sent.log"
    plan = compile_spec(write_spec(spec(OK, send(log, when=when)), CATALOG))
    result, _ = await run_and_decide(client, plan, "reject")
    step = next(s for s in result.state.steps if s.id == "send")
    assert step.status == "skipped"
    assert step.skipped_reason == "approval 'ok' was rejected by deal-desk"
    assert not log.exists(), "the mailer ran although the approver rejected"


@pytest.mark.usefixtures("worker")
async def test_an_approved_effect_runs_and_the_approver_saw_what_a_yes_lets_run(
    client, write_spec, tmp_path
):
    log = tmp_path / "sent.log"
    plan = compile_spec(write_spec(spec(OK, send(log)), CATALOG))
    handle = await start_run(client, plan, {})

    async def asked() -> RunState | None:
        state = await handle.query("status", result_type=RunState)
        return state if state.open_requests() else None

    state = await eventually(asked, "the approval request")
    request = state.open_requests()[0]
    assert request.unlocks == ["send (agent mailer)"]
    shown = "\n".join(show_lines(handle.id, request, state, datetime.now(UTC)))
    assert "approving lets these steps with side effects run:\n  send (agent mailer)" in shown
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    assert "approving **ok-1** lets run: send (agent mailer)" in metadata.current_details
    await send_decision(
        handle, DecisionInput(request_id=request.id, outcome="approve", by="deal-desk")
    )
    result = await handle.result()
    assert next(s for s in result.state.steps if s.id == "send").status == "completed"
    assert log.read_text().startswith("start send")


@pytest.mark.usefixtures("worker")
async def test_a_hand_edited_plan_without_the_approval_stops_before_the_effect(
    client, write_spec, tmp_path
):
    log = tmp_path / "sent.log"
    plan = compile_spec(write_spec(spec(OK, send(log)), CATALOG))
    effect = plan.steps[1].model_copy(update={"needs": []})
    edited = plan.model_copy(update={"steps": [effect]})  # the approval cut out by hand
    handle = await start_run(client, edited, {})
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    cause = info.value.cause
    assert getattr(cause, "type", None) == UngatedSideEffect.__name__
    assert "step 'send' has side effects and no approval step comes before it" in str(cause)
    assert not log.exists()


def test_the_plan_review_lists_every_webhook_as_a_side_effect(write_spec):
    lax = {**CATALOG, "policy": {}}  # (under approve_side_effects only listed hosts may be)
    plan = compile_spec(write_spec(spec(OK, send(), notify=["https://hooks.example.com/p"]), lax))
    assert (
        "webhook https://hooks.example.com/p (host hooks.example.com) is sent every request "
        "for people (titles, details)" in review(plan).side_effects
    )


@pytest.mark.usefixtures("worker")
async def test_a_rejection_stops_the_effects_of_a_map_run_in_batches(client, write_spec, tmp_path):
    log = tmp_path / "sent.log"
    each = {"id": "each", "map": {"over": "input.xs", "batch_size": 2}, "step": send(log)}
    body = spec(OK, each, input={"type": "object"})
    plan = compile_spec(write_spec(body, CATALOG))
    assert plan.steps[1].batch_size == 2  # 3 items: run as child workflows of 2
    handle = await start_run(client, plan, {"xs": [1, 2, 3]})

    async def request() -> str | None:
        state = await handle.query("status", result_type=RunState)
        return next((r.id for r in state.open_requests()), None)

    request_id = await eventually(request, "the approval request")
    await send_decision(
        handle, DecisionInput(request_id=request_id, outcome="reject", by="deal-desk")
    )
    await handle.result()
    assert not log.exists(), "a batch ran the mailer although the approver rejected"
