"""What ``podium validate`` says about ``memory:`` — each mistake at its line with a fix —
and the plan it makes of a correct one (subject, read, write, ttl)."""

from __future__ import annotations

from pathlib import Path

import pytest
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec

CATALOG = {"agents": {"writer": {"model": "scripted"}, "reviewer": {"model": "scripted"}}}
SUBJECT = {"subject": "input.customer", "ttl": "90d"}


def spec(*steps: dict, **extra) -> dict:
    return {"name": "t", "agents": "agents.yaml", "steps": list(steps), **extra}


def problems(path: Path) -> list:
    with pytest.raises(CompileError) as info:
        compile_spec(path, offline=True)
    return info.value.problems


def place(problem) -> str:
    """``steps[0].memory`` of ``steps[0].memory (step 'a')``."""
    return str(problem.where).split(" (step ")[0]


def test_the_plan_carries_each_steps_subject_reads_and_writes(write_spec):
    path = write_spec(
        spec(
            {"id": "a", "agent": "writer", "memory": {"read": {"limit": 3, "search": "input.q"}}},
            {
                "id": "b",
                "agent": "writer",
                "memory": {"write": {"fact": "{q: input.q, answer: steps.b.output}"}},
            },
            {
                "id": "c",
                "agent": "writer",
                "memory": {"subject": "steps.a.output", "write": {"fact": "input.q", "ttl": "1h"}},
            },
            memory=SUBJECT,
        ),
        CATALOG,
    )
    a, b, c = compile_spec(path, offline=True).steps
    assert a.memory.subject == "input.customer" and a.memory.write is None
    assert (a.memory.read.limit, a.memory.read.search) == (3, "input.q")
    assert b.memory.write.fact == "{q: input.q, answer: steps.b.output}"  # its own output
    assert b.memory.write.ttl_s == 90 * 86400 and b.memory.read is None
    assert c.memory.subject == "steps.a.output" and c.memory.write.ttl_s == 3600


def test_a_step_without_memory_has_none_and_a_spec_without_it_compiles_as_before(write_spec):
    [a] = compile_spec(write_spec(spec({"id": "a", "agent": "writer"}), CATALOG)).steps
    assert a.memory is None


def test_memory_on_a_step_needs_a_subject(write_spec):
    [p] = problems(
        write_spec(spec({"id": "a", "agent": "writer", "memory": {"read": {}}}), CATALOG)
    )
    assert p.where == "steps[0].memory (step 'a')" and p.line == 6
    assert p.message == "memory: on step 'a', but no subject says whose facts these are"
    assert "memory: {subject: input.customer}" in p.hint


def test_reading_is_for_agent_steps_and_takes_the_memory_input(write_spec):
    route = {
        "id": "r",
        "route": {"on": "input.kind", "cases": {"x": {"agent": "writer"}}},
        "memory": {"read": {"limit": 2}},
    }
    clash = {
        "id": "w",
        "agent": "writer",
        "with": {"memory": "input.notes"},
        "memory": {"read": {}},
    }
    found = problems(write_spec(spec(route, clash, memory=SUBJECT), CATALOG))
    assert [(place(p), p.message) for p in found] == [
        (
            "steps[0].memory.read",
            "memory: read: is for agent steps (their agent receives the facts as input "
            "'memory'); this is a route step",
        ),
        ("steps[1].with.memory", "with: memory: is where memory: read: puts the facts"),
    ]
    assert found[0].hint == "put memory: read: on the agent step inside it"


def test_memory_expressions_read_only_what_the_step_may(write_spec):
    found = problems(
        write_spec(
            spec(
                {
                    "id": "a",
                    "agent": "writer",
                    "memory": {
                        "read": {"search": "steps.b.output"},
                        "write": {"fact": "steps.a.outptu"},
                    },
                },
                {
                    "id": "b",
                    "agent": "writer",
                    "memory": {"subject": "vars.x", "write": {"fact": "input.["}},
                },
                memory=SUBJECT,
            ),
            CATALOG,
        )
    )
    by_place = {place(p): p.message for p in found}
    assert by_place["steps[0].memory.read.search"] == (
        "expression reads step 'b', which may not have run yet"
    )
    assert "steps[0].memory.write.fact" not in by_place  # a step's fact may read its own output
    assert by_place["steps[1].memory.subject"] == "vars.x is not defined here"
    assert by_place["steps[1].memory.write.fact"].startswith(
        "invalid JMESPath expression 'input.['"
    )


def test_the_specs_subject_reads_the_run_input_only(write_spec):
    found = problems(
        write_spec(
            spec({"id": "a", "agent": "writer"}, memory={"subject": "steps.a.output"}), CATALOG
        )
    )
    [p] = found
    assert p.where == "memory.subject"
    assert p.message == "the spec's memory subject 'steps.a.output' reads more than the run input"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({}, "memory: on a step needs read:, write: or both"),
        ({"read": {"limit": 0}}, "must be greater than or equal to 1, got 0"),
        ({"write": {"fact": "input.q", "ttl": "forever"}}, "'forever' is not a duration"),
        ({"remember": "input.q"}, "unknown key 'remember'"),
    ],
)
def test_a_malformed_step_memory_is_one_line(write_spec, entry, message):
    [p] = problems(
        write_spec(spec({"id": "a", "agent": "writer", "memory": entry}, memory=SUBJECT), CATALOG)
    )
    assert message in p.message and p.where.startswith("steps[0].memory")
