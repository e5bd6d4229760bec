"""What a reader of a call's text ends with once the answer is final (``TextSink.settle``):
the text as the model wrote it whenever that is the answer — however a structured
answer's JSON is spaced — so nothing flickers; otherwise the answer, in one piece."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from podium.activities.contracts import AgentResult, StreamTarget
from podium.activities.run_events import RunEvent, TextAssembly
from podium.activities.streaming import TextSink
from podium.activities.tool_contracts import ToolCall


class Recorded(TextSink):
    """A sink whose events are kept here instead of sent to a run (no Temporal)."""

    def __init__(self) -> None:
        super().__init__(StreamTarget(workflow_id="run", call="c1"), "s", 1)
        self.events: list[RunEvent] = []

    def _publish(self, kind: Any, text: str | None = None, wake: bool = True, **fields: Any):
        data = fields.get("data") or {}
        self.events.append(
            RunEvent(
                kind=kind, at=datetime.now(UTC), call="c1", take=self.take, text=text, data=data
            )
        )


def settled(written: list[str], answer: AgentResult) -> tuple[str, list[str]]:
    sink = Recorded()
    sink._publish("text.start")
    for piece in written:
        sink.write(piece)
    sink.settle(answer)
    text = TextAssembly()
    for event in sink.events:
        text.add(event)
    return text.text("c1"), [e.kind for e in sink.events]


def test_compact_json_that_reads_as_the_output_stays_as_written():
    answer = AgentResult(output={"category": "billing", "urgent": True})
    text, kinds = settled(['{"category":', '"billing",', '"urgent":true}'], answer)
    assert text == '{"category":"billing","urgent":true}'
    assert "text.retract" not in kinds


def test_text_that_is_not_the_answer_is_withdrawn_for_the_answer():
    answer = AgentResult(output={"category": "billing"})
    text, kinds = settled(['{"category": "techn'], answer)  # (e.g. a repaired answer)
    assert text == '{"category": "billing"}'
    assert kinds.count("text.retract") == 1 and kinds.count("text.start") == 2


def test_a_take_that_streamed_nothing_gets_the_answer_in_one_piece():
    text, kinds = settled([], AgentResult(output="Hello Siti"))
    assert text == "Hello Siti" and "text.retract" not in kinds


def test_what_a_model_said_beside_its_tool_calls_counts_before_stripping():
    answer = AgentResult(
        tool_calls=[ToolCall(id="1", name="fx", arguments={})], text="Let me check the rate."
    )
    text, kinds = settled(["Let me check ", "the rate.\n"], answer)
    assert text == "Let me check the rate.\n" and "text.retract" not in kinds
