"""Showing a run's event stream in the terminal: ``podium watch`` and ``podium run --follow``.

On a terminal, rich's ``Live`` redraws a steps table (status, time, cost, what it waits
for) with the text each agent is writing under it, as it comes. Written to a pipe there
are no control codes: one line per event, and the agents' text written as it streams
(a retried take's text is marked withdrawn and the new take starts on a new line).
"""

from __future__ import annotations

from typing import TextIO

from podium.activities.run_events import RunEvent, TextAssembly
from podium.starters.events import subscribe
from podium.starters.formatting import CONTROL, latency_text, short, usd
from podium.starters.run_view import console_for
from rich.console import Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text
from temporalio.client import Client

TEXT_LINES = 6
"""Lines of each streaming text shown on a terminal (its end)."""

MARKS = {
    "running": "▶",
    "completed": "✓",
    "failed": "✗",
    "skipped": "–",
    "cancelled": "⊘",
    "waiting": "⏸",
}


class RunPicture:
    """What a watcher knows of a run, built from its events."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.spec = ""
        self.status = "running"
        self.steps: dict[str, dict[str, str]] = {}
        self.text = TextAssembly()
        self.calls: dict[str, str] = {}
        """Call → its step, in the order they started."""
        self.cost_usd = 0.0
        self.last_offset = -1
        self.ended: RunEvent | None = None

    def add(self, event: RunEvent) -> None:
        """Take in one event."""
        self.last_offset = event.offset
        data = event.data
        if event.kind == "run.started":
            self.spec = str(data.get("spec", ""))
        elif event.kind == "run.ended":
            self.status, self.ended = str(data.get("status", "?")), event
            self.cost_usd = float(data.get("cost_usd") or self.cost_usd)
        elif event.kind == "cost":
            self.cost_usd = float(data.get("cost_usd") or 0.0)
        elif event.kind.startswith("step.") and event.step:
            row = self.steps.setdefault(event.step, {"status": "", "time": "", "note": ""})
            status = event.kind.removeprefix("step.")
            row["status"] = {"started": "running", "resumed": "running"}.get(status, status)
            if event.kind == "step.waiting":
                who = ", ".join(data.get("approvers") or []) or "anyone"
                row["note"] = f"waits for {who}: {event.text or ''}"
            elif event.kind == "step.completed":
                row["time"] = latency_text(data.get("duration_ms"))
                row["note"] = short(data.get("output"), 80)
            elif event.kind in ("step.failed", "step.skipped"):
                row["note"] = short(event.text, 80)
            elif event.kind == "step.resumed":
                row["note"] = f"{event.text} by {data.get('by') or '?'}"
        call = self.text.add(event)
        if call is not None and event.step:
            self.calls.setdefault(call, event.step)

    def render(self) -> RenderableType:
        """The picture for a terminal: header, steps table, the streaming texts."""
        header = Text(f"{self.spec or 'run'} {self.run_id}: {self.status}, {usd(self.cost_usd)}")
        table = Table(box=None, pad_edge=False)
        for column in ("", "step", "status", "time", ""):
            table.add_column(column)
        for step, row in self.steps.items():
            table.add_row(
                MARKS.get(row["status"], " "), step, row["status"], row["time"], row["note"]
            )
        parts: list[RenderableType] = [header, table]
        for call, step in self.calls.items():
            if self.steps.get(step, {}).get("status") != "running":
                continue  # (a finished step's answer is in the table)
            lines = printable(self.text.text(call)).splitlines()[-TEXT_LINES:]
            parts.append(Text(f"\n{step} is writing:", style="bold"))
            parts.append(Text("\n".join(lines)))
        return Group(*parts)


class PlainLines:
    """A run's events as plain lines on a pipe, text streamed as it comes."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.writing: tuple[str, str] | None = None
        """(call, take) whose text is being written on the current line."""

    def add(self, event: RunEvent, picture: RunPicture) -> None:
        """Write what ``event`` adds (``picture`` has already taken it in)."""
        out = self.out
        if event.kind == "text.delta" and event.call and event.take:
            if picture.text.takes.get(event.call) != event.take:
                return  # an earlier take's late text
            if self.writing != (event.call, event.take):
                self._end_line()
                out.write(f"  {event.step} ✎ ")
                self.writing = (event.call, event.take)
            out.write(printable(event.text or ""))
        elif event.kind == "text.retract":
            if self.writing is not None and self.writing[1] == event.take:
                out.write(" ↺ (withdrawn: the call is tried again)")
            self._end_line()
        elif event.kind.startswith("text.") or event.kind == "cost":
            return
        else:
            self._end_line()
            out.write(self._line(event) + "\n")
        out.flush()

    def _end_line(self) -> None:
        if self.writing is not None:
            self.out.write("\n")
            self.writing = None

    @staticmethod
    def _line(event: RunEvent) -> str:
        data = event.data
        step = event.step or ""
        if event.kind == "run.started":
            return f"started {data.get('spec', '')} ({data.get('steps', '?')} steps)"
        if event.kind == "run.ended":
            tail = (
                f": {event.text}" if event.text else f" — output: {short(data.get('output'), 500)}"
            )
            return f"run {data.get('status')}{tail} ({usd(float(data.get('cost_usd') or 0))})"
        if event.kind == "step.completed":
            took = latency_text(data.get("duration_ms"))
            return f"{MARKS['completed']} {step} {took} → {short(data.get('output'), 200)}"
        if event.kind == "step.waiting":
            who = ", ".join(data.get("approvers") or []) or "anyone"
            return (
                f"{MARKS['waiting']} {step} waits for {who} ({data.get('request')}): {event.text}"
            )
        if event.kind == "step.resumed":
            return f"▶ {step} resumed: {event.text} by {data.get('by') or '?'}"
        if event.kind == "tool.call":
            return f"  {step} calls {data.get('tool')} {short(data.get('arguments'), 200)}"
        if event.kind == "tool.result":
            result = short(data.get("result"), 200)
            return f"  {step} ← {data.get('tool')}: {data.get('status')} {result}"
        if event.kind == "supervisor.decision":
            return f"  {step} turn {data.get('turn')}: → {data.get('next')} ({event.text})"
        mark = MARKS.get(event.kind.removeprefix("step."), "▶")
        return f"{mark} {step} {event.kind.removeprefix('step.')}" + (
            f": {event.text}" if event.text else ""
        )


def printable(text: str) -> str:
    """An agent's text safe for a terminal: control characters (escape sequences) shown
    escaped; line breaks and tabs kept."""
    return CONTROL.sub(lambda m: m.group() if m.group() in "\n\t" else repr(m.group())[1:-1], text)


async def show(client: Client, run_id: str, out: TextIO, *, after: int | None = None) -> RunPicture:
    """Draw the run's events on ``out`` until it ends; what was seen."""
    picture = RunPicture(run_id)
    if out.isatty():
        with Live(console=console_for(out), refresh_per_second=8) as live:
            async for event in subscribe(client, run_id, after=after):
                picture.add(event)
                live.update(picture.render())
        return picture
    lines = PlainLines(out)
    async for event in subscribe(client, run_id, after=after):
        picture.add(event)
        lines.add(event, picture)
    return picture
