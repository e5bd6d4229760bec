"""The ``supervise`` step on the real dev server with the offline scripted model: a
manager agent picks the next member of its team each turn; bad choices are repaired,
member failures go back to the manager, people can be members, every decision is
recorded and shown, and the step stops at done, until or max_turns."""

from __future__ import annotations

import io

import pytest
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec
from podium.starters.commands import report, status
from podium.starters.launch import start_run
from podium.workflows.state import RunState
from temporalio.client import WorkflowFailureError

from tests.workflows.test_humans import decide, open_request

pytestmark = pytest.mark.usefixtures("worker")

PICK_VN = {
    "when": "turn == `1`",
    "output": {
        "next": "vietnam",
        "task": "Size the market for {{ goal.product }} in Vietnam",
        "inputs": {"market": "VN"},
        "reason": "largest market first",
    },
}
PICK_TH = {
    "when": "turn == `2`",
    "output": {
        "next": "thailand",
        "task": "Size the market in Thailand",
        "inputs": {"market": "TH"},
        "reason": "second market",
    },
}
DONE = {
    "output": {
        "next": "done",
        "reason": "both markets are sized",
        "output": {"summary": "VN and TH sized"},
    }
}
RESEARCHER = {
    "model": "scripted",
    "description": "Researches one market.",
    "script": [{"output": {"market": "{{ inputs.market }}", "task": "{{ task }}"}}],
}


def spec(manager_script: list[dict], **supervise) -> dict:
    team = supervise.pop(
        "team", {"vietnam": {"agent": "researcher"}, "thailand": {"agent": "researcher"}}
    )
    agents = {
        "lead": {
            "model": "scripted",
            "description": "Leads market entry.",
            "script": manager_script,
        },
        "researcher": RESEARCHER,
        "broken": {"model": "scripted", "script": [{"fail": "the data source is down"}]},
    }
    return {
        "name": "market_entry",
        "agents": {"agents": agents},
        "steps": [
            {
                "id": "research",
                "supervise": {"manager": "lead", "task": "input", "team": team, **supervise},
            }
        ],
        "output": "steps.research.output",
    }


async def test_the_manager_delegates_turn_by_turn_and_every_decision_is_recorded(
    client, write_spec
):
    plan = compile_spec(write_spec(spec([PICK_VN, PICK_TH, DONE])))
    handle = await start_run(client, plan, {"product": "e-bikes"})
    result = await handle.result()
    assert result.output == {"summary": "VN and TH sized"}
    step = result.state.step("research")
    turns = step.supervision
    assert [(t.turn, t.member, t.status) for t in turns] == [
        (1, "vietnam", "ok"),
        (2, "thailand", "ok"),
        (3, "done", "done"),
    ]
    assert turns[0].task == "Size the market for e-bikes in Vietnam"
    assert turns[0].reason == "largest market first"
    assert turns[0].output == {"market": "VN", "task": "Size the market for e-bikes in Vietnam"}
    assert all(t.input_tokens > 0 for t in turns)  # each decision's tokens are recorded
    history = await handle.fetch_history()
    summaries = [
        e.user_metadata.summary.data.decode().strip('"')
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert summaries == [
        "lead · research turn 1",
        "lead → researcher · turn 1",
        "lead · research turn 2",
        "lead → researcher · turn 2",
        "lead · research turn 3",
    ]
    out = io.StringIO()
    assert await status.main(client, handle.id, out=out) == 0
    assert "supervise research: 3 turns — 1 vietnam ok, 2 thailand ok, 3 done" in out.getvalue()
    out = io.StringIO()
    assert await report.main(client, handle.id, "md", out=out) == 0
    text = out.getvalue()
    assert "## Supervision" in text
    assert "| `research` | 1 | vietnam | Size the market for e-bikes in Vietnam |" in text


async def test_a_choice_outside_the_team_gets_a_repair_round_listing_the_members(
    client, write_spec
):
    wrong = {
        "when": "turn == `1` && !repair",
        "output": {"next": "indonesia", "task": "Size Indonesia", "reason": "why not"},
    }
    fixed = {  # the repair round: the model read the errors
        "when": "repair",
        "output": {"next": "done", "reason": "{{ repair.errors }}", "output": "repaired"},
    }
    plan = compile_spec(write_spec(spec([wrong, fixed])))
    result = await (await start_run(client, plan, {"product": "tea"})).result()
    assert result.output == "repaired"
    [turn] = result.state.step("research").supervision
    assert "'indonesia' is not one of ['vietnam', 'thailand', 'done']" in turn.reason


async def test_a_member_failure_goes_back_to_the_manager(client, write_spec):
    team = {"vietnam": {"agent": "broken"}, "thailand": {"agent": "researcher"}}
    saw_error = {
        "when": "turns[0].error",
        "output": {"next": "done", "reason": "{{ turns[0].error }}", "output": "partial"},
    }
    plan = compile_spec(write_spec(spec([PICK_VN, saw_error], team=team)))
    result = await (await start_run(client, plan, {"product": "tea"})).result()
    assert result.output == "partial"
    first, second = result.state.step("research").supervision
    assert first.status == "failed" and "the data source is down" in (first.error or "")
    assert "ProviderRejectedRequest: the data source is down" in second.reason


async def test_members_that_keep_failing_fail_the_step(client, write_spec):
    team = {"vietnam": {"agent": "broken"}}
    again = {"output": {"next": "vietnam", "task": "try again", "reason": "stubborn"}}
    plan = compile_spec(write_spec(spec([again], team=team, max_failures=1)))
    handle = await start_run(client, plan, {"product": "tea"})
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    message = info.value.cause.message
    assert "team members failed 2 times (more than max_failures: 1)" in message
    assert "vietnam at turn 2" in message


async def test_a_person_on_the_team_answers_through_the_inbox(client, write_spec):
    team = {"vietnam": {"agent": "researcher"}, "deal-desk": {"human": ["deal-desk"]}}
    ask = {
        "when": "turn == `1`",
        "output": {
            "next": "deal-desk",
            "task": "May we offer a 10% launch discount?",
            "reason": "pricing needs a person",
        },
    }
    answered = {
        "when": "turns[0].output.answer",
        "output": {"next": "done", "reason": "asked", "output": "{{ turns[0].output }}"},
    }
    plan = compile_spec(write_spec(spec([ask, answered], team=team)))
    handle = await start_run(client, plan, {"product": "tea"})
    state = await open_request(handle)
    [request] = state.open_requests()
    assert request.kind == "question" and request.approvers == ["deal-desk"]
    assert request.title == "lead asks deal-desk: May we offer a 10% launch discount?"
    out = io.StringIO()
    assert await status.main(client, handle.id, out=out) == 0
    assert f"podium resolve {handle.id} {request.id} --supply FILE" in out.getvalue()
    await decide(handle, request.id, "supply", "deal-desk", output={"discount": 0.1})
    result = await handle.result()
    turn = result.state.step("research").supervision[0]
    assert turn.output == {"answer": {"discount": 0.1}, "comment": "", "by": "deal-desk"}
    assert "'discount': 0.1" in result.output


async def test_max_turns_stops_with_the_last_output_and_is_flagged(client, write_spec):
    forever = {
        "output": {
            "next": "vietnam",
            "task": "more",
            "inputs": {"market": "VN"},
            "reason": "never done",
        }
    }
    plan = compile_spec(write_spec(spec([forever], max_turns=3)))
    result = await (await start_run(client, plan, {"product": "tea"})).result()
    assert result.output == {"market": "VN", "task": "more"}
    assert len(result.state.step("research").supervision) == 3
    assert any("used all 3 turns (max_turns)" in flag for flag in result.state.flags)


async def test_until_ends_the_supervision_on_a_member_result(client, write_spec):
    forever = {
        "output": {
            "next": "thailand",
            "task": "more",
            "inputs": {"market": "TH"},
            "reason": "again",
        }
    }
    plan = compile_spec(
        write_spec(spec([forever], until="vars.last.output.market == 'TH'", max_turns=9))
    )
    result = await (await start_run(client, plan, {"product": "tea"})).result()
    assert result.output == {"market": "TH", "task": "more"}
    assert len(result.state.step("research").supervision) == 1
    assert not result.state.flags


def test_team_mistakes_are_refused_at_compile_time(write_spec):
    bad = spec(
        [DONE],
        team={
            "vietnam": {"agent": "researcher-vn"},
            "done": {"agent": "researcher"},
            "desk": {"human": ["deal-desk"], "require": {"market": "'VN'"}},
            "th": {"agent": "researcher", "timeout": "5m"},
            "a-b": {"agent": "researcher"},
            "a_b": {"agent": "researcher"},
            "nobody": {"human": [" "]},
        },
    )
    bad["steps"][0]["supervise"]["manager"] = "boss"
    bad["steps"][0]["supervise"]["with"] = {"turns": "input"}
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(bad))
    text = str(info.value)
    assert "unknown agent 'researcher-vn'" in text
    assert "team member name 'done' cannot be used" in text
    assert "timeout: is for human members" in text
    assert "with: turns is reserved" in text
    assert "team member names 'a-b' and 'a_b' differ only in '-'/'_'" in text
    assert "team member 'nobody': human: needs the names of the people who answer" in text
    assert "unknown agent 'boss'" in text
    assert "spec.yaml:" in text


def test_the_plan_draws_the_team(write_spec):
    from podium.compiler.graph import plan_graph, to_mermaid

    plan = compile_spec(write_spec(spec([DONE])))
    text = to_mermaid(plan_graph(plan))
    assert "research: lead supervises, ≤ 10 turns" in text
    assert '"vietnam: agent researcher"' in text and '"thailand: agent researcher"' in text


async def test_the_status_query_shows_decisions_as_they_happen(client, write_spec):
    team = {"vietnam": {"agent": "researcher"}, "desk": {"human": ["deal-desk"]}}
    ask = {"when": "turn == `2`", "output": {"next": "desk", "task": "ok?", "reason": "check"}}
    plan = compile_spec(write_spec(spec([PICK_VN, ask, DONE], team=team)))
    handle = await start_run(client, plan, {"product": "tea"})
    state = await open_request(handle)
    assert [(t.member, t.status) for t in state.step("research").supervision] == [
        ("vietnam", "ok"),
        ("desk", "running"),
    ]
    await decide(handle, state.open_requests()[0].id, "approve", "deal-desk", comment="fine")
    result = await handle.result()
    assert result.state.step("research").supervision[1].output["answer"] == "approve"
    final = await handle.query("status", result_type=RunState)
    assert final.status == "completed"


def long_supervision(log, turns: int, seconds: float = 0.0) -> dict:
    """A manager that hands ``turns`` tasks to a logging member, one per turn, then says
    done; each decision's reason quotes the previous turn's output."""
    work = {
        "when": f"turn <= `{turns}`",
        "output": {
            "next": "worker",
            "task": "work",
            "inputs": {"log": "{{ goal.log }}", "step": "t{{ turn }}", "seconds": str(seconds)},
            "reason": "after {{ turns[-1].output.step }}",
        },
    }
    first = {"when": "turn == `1`", "output": {**work["output"], "reason": "first"}}
    done = {"output": {"next": "done", "reason": "all done", "output": "{{ turns[-1].output }}"}}
    return {
        "name": "long_supervision",
        "agents": {
            "agents": {
                "lead": {"model": "scripted", "script": [first, work, done]},
                "worker": {"model": "function:tests.support.agents:record_member"},
            }
        },
        "history": {"max_events": 500},
        "steps": [
            {
                "id": "team",
                "supervise": {
                    "manager": "lead",
                    "team": {"worker": {"agent": "worker"}},
                    "max_turns": turns + 1,
                    "show_turns": 3,
                },
            }
        ],
        "output": "steps.team.output",
    }


async def test_a_long_supervision_continues_as_new_between_turns(client, write_spec, tmp_path):
    from tests.test_continue_as_new import finished, runs_in_chain

    log = tmp_path / "turns.log"
    plan = compile_spec(write_spec(long_supervision(log, 160)))
    handle = await start_run(client, plan, {"log": str(log)})
    result = await handle.result()
    assert result.output == "{'step': 't160'}"  # (scripted templates render text)
    assert result.state.continued >= 3  # several hand-overs, each between two turns
    turns = result.state.step("team").supervision
    assert [t.turn for t in turns] == list(range(1, 162))  # every decision, across runs
    assert all(t.reason == f"after t{t.turn - 1}" for t in turns[1:160])  # it saw the last
    assert set(finished(log).values()) == {1} and len(finished(log)) == 160  # each once
    sizes = await runs_in_chain(client, handle.id)
    assert len(sizes) == result.state.continued + 1 and max(sizes) < 620


async def test_the_steps_budget_ends_the_supervision_flagged(client, write_spec):
    forever = {
        "output": {"next": "vietnam", "task": "more", "inputs": {"market": "VN"}, "reason": "again"}
    }
    capped = spec([forever], max_turns=50)
    capped["steps"][0]["budget"] = {"tokens": 6000}
    result = await (await start_run(client, compile_spec(write_spec(capped)), {})).result()
    turns = result.state.step("research").supervision
    assert 1 <= len(turns) < 50
    assert result.output == {"market": "VN", "task": "more"}  # the last member's output
    [flag] = [f for f in result.state.flags if "stopped at its budget" in f]
    assert "supervise step 'research'" in flag
    ledger = result.state.step("research").budget
    assert ledger is not None and ledger.spent_tokens <= 6000
