"""A run's live event stream as a subscriber meets it: ``podium.subscribe`` and ``podium
watch`` on runs of the real dev server — step events in order, agents' text as it is
written, resuming from an offset, and the text of every call assembling to exactly its
answer."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.commands import watch
from podium.starters.launch import start_run
from podium.starters.watch_view import PlainLines, RunPicture

from podium import RunEvent, TextAssembly, subscribe

pytestmark = pytest.mark.usefixtures("worker")

WRITER = {
    "model": "scripted",
    "latency": "600ms",
    "script": [{"output": "Dear {{ name }}, thank you for writing to us about your order today."}],
}


def two_steps(writer: dict = WRITER) -> dict:
    return {
        "name": "live",
        "agents": {"agents": {"writer": writer, "echo": {"model": "scripted"}}},
        "steps": [
            {"id": "draft", "agent": "writer", "with": {"name": "input.name"}},
            {"id": "check", "agent": "echo", "with": {"draft": "steps.draft.output"}},
        ],
        "output": "steps.draft.output",
    }


async def collect(client, run_id: str, after: int | None = None) -> list[RunEvent]:
    return [event async for event in subscribe(client, run_id, after=after)]


async def test_a_followed_run_streams_its_steps_and_its_text(client, write_spec):
    plan = compile_spec(write_spec(two_steps()))
    handle = await start_run(client, plan, {"name": "Siti"}, follow=True)
    events = await asyncio.wait_for(collect(client, handle.id), 60)
    result = await handle.result()

    assert [e.offset for e in events] == list(range(len(events)))  # in order, no gaps
    kinds = [(e.kind, e.step) for e in events if not e.kind.startswith(("text.", "cost"))]
    assert kinds == [
        ("run.started", None),
        ("step.started", "draft"),
        ("step.completed", "draft"),
        ("step.started", "check"),
        ("step.completed", "check"),
        ("run.ended", None),
    ]
    assert events[-1].data["status"] == "completed"
    assert events[-1].data["output"] == result.output

    text = TextAssembly()
    for event in events:
        text.add(event)
    draft_calls = {e.call for e in events if e.kind == "text.delta" and e.step == "draft"}
    assert len(draft_calls) == 1
    (call,) = draft_calls
    assert text.text(call) == result.output
    deltas = [e for e in events if e.kind == "text.delta" and e.call == call]
    assert len(deltas) > 1, "the scripted model writes its answer in pieces"
    # the text came while the step ran, before it completed
    completed = next(e for e in events if e.kind == "step.completed" and e.step == "draft")
    assert deltas[0].offset < completed.offset


async def test_a_subscriber_resumes_after_the_last_offset_it_saw(client, write_spec):
    plan = compile_spec(write_spec(two_steps()))
    handle = await start_run(client, plan, {"name": "Budi"}, follow=True)
    await handle.result()
    everything = await collect(client, handle.id)
    middle = everything[len(everything) // 2]
    rest = await collect(client, handle.id, after=middle.offset)
    assert [e.offset for e in rest] == [e.offset for e in everything if e.offset > middle.offset]
    assert rest[-1].kind == "run.ended"


async def test_a_run_nobody_follows_streams_no_text(client, write_spec):
    """Text costs the run a signal per batch: without a follower it is not sent."""
    plan = compile_spec(write_spec(two_steps()))
    handle = await start_run(client, plan, {"name": "Ana"})
    await handle.result()
    events = await collect(client, handle.id)
    assert not [e for e in events if e.kind.startswith("text.")]
    assert [e.kind for e in events][-1] == "run.ended"
    history = await handle.fetch_history()
    signals = [
        e for e in history.events if e.HasField("workflow_execution_signaled_event_attributes")
    ]
    assert signals == []


class Pipe(io.StringIO):
    """What `podium watch RUN | tee log` writes to: no terminal."""

    def isatty(self) -> bool:
        return False


async def test_podium_watch_in_a_pipe_prints_each_step_and_the_text_as_written(client, write_spec):
    plan = compile_spec(write_spec(two_steps()))
    handle = await start_run(client, plan, {"name": "Siti"})  # not started to be followed
    out = Pipe()
    code = await asyncio.wait_for(watch.main(client, handle.id, out=out), 60)
    result = await handle.result()
    lines = out.getvalue().splitlines()
    assert code == 0
    assert lines[0] == "started live (2 steps)"
    assert lines[-2].startswith(f"run completed — output: {result.output} ($")
    assert lines[-1].startswith("web UI: ")
    steps = [line.split()[:2] for line in lines if line.startswith(("▶", "✓"))]
    assert steps == [["▶", "draft"], ["✓", "draft"], ["▶", "check"], ["✓", "check"]]
    # watching made the run stream its calls from then on: the check's text, as written
    check = next(s for s in result.state.steps if s.id == "check").output
    assert f"  check ✎ {check}" in lines, out.getvalue()


async def test_podium_watch_names_an_unknown_run(client, capsys):
    assert await watch.main(client, "no-such-run", out=Pipe()) == 1
    assert capsys.readouterr().err == "podium watch: no run 'no-such-run' (unknown workflow id)\n"


async def test_agent_text_cannot_drive_the_terminal():
    picture = RunPicture("r")
    out = Pipe()
    lines = PlainLines(out)
    for n, (kind, text) in enumerate(
        [("text.start", None), ("text.delta", "hi \x1b[2J\x1b]0;pwned\x07 there\nnext line")]
    ):
        event = RunEvent(
            kind=kind, at=datetime.now(UTC), offset=n, step="s", call="c", take="t", text=text
        )
        picture.add(event)
        lines.add(event, picture)
    assert "\x1b" not in out.getvalue() and "\x07" not in out.getvalue()
    assert out.getvalue() == "  s ✎ hi \\x1b[2J\\x1b]0;pwned\\x07 there\nnext line"


async def test_the_stream_goes_on_across_continue_as_new(client, write_spec):
    """A followed run that continues as new (twice, with a subscriber polling all along):
    one stream, offsets 0, 1, 2 … without a gap or a repeat, each step completed once."""
    steps = [{"id": f"s{i}", "agent": "echo", "with": {"n": f"`{i}`"}} for i in range(120)]
    spec = {
        "name": "live_chain",
        "agents": {"agents": {"echo": {"model": "function:tests.support.agents:echo"}}},
        "history": {"max_events": 500},
        "steps": steps,
        "output": "steps.s119.output",
    }
    handle = await start_run(client, compile_spec(write_spec(spec)), {}, follow=True)
    events = await asyncio.wait_for(collect(client, handle.id), 120)
    result = await handle.result()
    assert result.state.continued >= 2
    assert [e.offset for e in events] == list(range(len(events)))
    assert sum(e.kind == "run.continued" for e in events) == result.state.continued
    completed = [e.step for e in events if e.kind == "step.completed"]
    assert completed == [f"s{i}" for i in range(120)]
    assert [e.kind for e in events][-1] == "run.ended"
