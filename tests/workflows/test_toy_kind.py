"""A step kind registered from the test suite alone — no Podium file changed — compiles
from YAML, runs on the real dev server, draws, answers the status query and appears in
the report. An unregistered kind fails loudly."""

from __future__ import annotations

import io
from typing import Annotated, Any, Literal

import pytest
from podium.compiler.graph import plan_graph, to_mermaid
from podium.compiler.problems import CompileError
from podium.compiler.schema import spec_schema
from podium.compiler.spec_compiler import compile_spec
from podium.starters.commands import report
from podium.starters.launch import start_run
from podium.workflows.kinds.base import (
    NodeBase,
    StepKind,
    UnknownKind,
    kind_of,
    register,
    unregister,
)
from podium.workflows.plan import Plan
from podium.workflows.state import RunState
from pydantic import Field

pytestmark = pytest.mark.usefixtures("worker")


class ShoutNode(NodeBase):
    """Say a word, loudly."""

    kind: Literal["shout"] = "shout"
    word: str


class ShoutKind(StepKind):
    name = "shout"
    node = ShoutNode
    shape = "agent"
    spec_key = "shout"
    spec_entry = Annotated[str, Field(max_length=20, description="The word to shout.")]
    summary = "say a word, loudly"

    def label(self, node: ShoutNode) -> str:
        return f"shout {node.word!r}"

    async def execute(self, node: ShoutNode, frame: Any, ctx: Any) -> Any:
        return {"said": node.word.upper() + "!"}

    def compile(self, compiler: Any, step: Any, loc: Any, scope: Any, common: dict) -> Any:
        word = step.kind_entry["value"]
        if not isinstance(word, str) or not word:
            compiler.report.problem(
                compiler.doc, loc + ("shout",), "shout: needs a word", "write shout: hello"
            )
            return None
        return ShoutNode(**common, word=word)


@pytest.fixture
def shout():
    register(ShoutKind())
    yield
    unregister("shout")


SPEC = {
    "name": "toy_kind",
    "agents": {"agents": {"echo": {"model": "function:tests.support.agents:echo"}}},
    "steps": [
        {"id": "loud", "shout": "hello"},
        {"id": "after", "agent": "echo", "with": {"value": "steps.loud.output.said"}},
    ],
    "output": "steps.after.output",
}


@pytest.mark.usefixtures("shout")
async def test_a_kind_registered_by_a_test_compiles_runs_draws_and_reports(client, write_spec):
    plan = compile_spec(write_spec(SPEC))
    assert kind_of(plan.steps[0]).name == "shout"
    assert Plan.model_validate_json(plan.model_dump_json()) == plan  # travels as itself
    assert "    n_loud[\"loud: shout 'hello'\"]" in to_mermaid(plan_graph(plan))
    handle = await start_run(client, plan, {})
    result = await handle.result()
    assert result.output == "HELLO!"
    state = await handle.query("status", result_type=RunState)
    loud = state.step("loud")
    assert (loud.kind, loud.status, loud.output) == ("shout", "completed", {"said": "HELLO!"})
    out = io.StringIO()
    assert await report.main(client, handle.id, "md", out=out) == 0
    assert "| `loud` | shout | - | completed |" in out.getvalue()
    assert '{"said": "HELLO!"}' in out.getvalue()


@pytest.mark.usefixtures("shout")
def test_its_compile_errors_name_file_line_and_step(write_spec):
    bad = {**SPEC, "steps": [{"id": "loud", "shout": ""}]}
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(bad))
    assert "steps[0].shout (step 'loud'): shout: needs a word" in str(info.value)


@pytest.mark.usefixtures("shout")
def test_its_spec_entry_is_checked_and_in_the_json_schema(write_spec):
    bad = {**SPEC, "steps": [{"id": "loud", "shout": "x" * 21}]}
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(bad))
    assert "steps[0].shout (step 'loud'):" in str(info.value)
    assert "20" in str(info.value)  # the limit it broke
    entry = spec_schema()["$defs"]["StepEntry"]["properties"]["shout"]
    assert entry["type"] == "string" and entry["maxLength"] == 20
    assert entry["description"] == "say a word, loudly"


def test_an_unregistered_kind_fails_loudly(write_spec):
    assert "shout" not in spec_schema()["$defs"]["StepEntry"]["properties"]
    with pytest.raises(CompileError, match="unknown key 'shout'"):
        compile_spec(write_spec(SPEC))
    node = ShoutNode(id="x", word="w")
    with pytest.raises(UnknownKind, match="unknown step kind 'shout'"):
        kind_of(node)
    with pytest.raises(ValueError, match="unknown step kind 'shout'"):
        Plan.model_validate({"name": "p", "steps": [{"kind": "shout", "id": "x", "word": "w"}]})


def test_the_docs_table_of_kinds_is_the_registry():
    from podium.workflows.kinds.base import kinds_table

    from tests.conftest import ROOT

    text = (ROOT / "docs" / "specs.md").read_text()
    start = text.index("<!-- kinds table:")
    block = text[text.index("\n", start) + 1 : text.index("<!-- end of kinds table -->")]
    assert block == kinds_table(), "run `make docs` (podium schema --kinds-table docs/specs.md)"
