"""Function agents used by tests; workers import them by path (``tests.support.agents:…``)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any


async def record_step(inputs: dict[str, Any]) -> dict[str, Any]:
    """A side-effecting step: log its start, work for a while, log its end (or cancel)."""
    log, step = Path(inputs["log"]), inputs["step"]
    with log.open("a") as f:
        f.write(f"start {step} {time.time():.3f}\n")
    try:
        await asyncio.sleep(float(inputs.get("seconds", 1.0)))
    except asyncio.CancelledError:
        with log.open("a") as f:
            f.write(f"cancelled {step} {time.time():.3f}\n")
        raise
    with log.open("a") as f:
        f.write(f"done {step} {time.time():.3f}\n")
    if inputs.get("fail"):
        raise RuntimeError(f"{step} failed on purpose")
    return {"step": step}


def echo(inputs: dict[str, Any]) -> Any:
    """Return the inputs (or just ``value`` if that is the only input)."""
    return inputs["value"] if set(inputs) == {"value"} else inputs


def picky(inputs: dict[str, Any]) -> dict[str, Any]:
    """Fails unless ``x`` is 'good' (for retry-with-edited-inputs)."""
    if inputs.get("x") != "good":
        raise ValueError(f"x must be 'good', got {inputs.get('x')!r}")
    return {"ok": True, "x": inputs["x"]}


def counting_reviewer(inputs: dict[str, Any]) -> dict[str, Any]:
    """Sends the run back to ``back`` until it has reviewed ``rounds`` times (counted in the
    file ``log``), then says where to go next (``then``: null = on in order)."""
    log = Path(inputs["log"])
    with log.open("a") as f:
        f.write("review\n")
    count = log.read_text().count("review")
    target = inputs.get("back") if count < int(inputs["rounds"]) else inputs.get("then")
    return {"goto": target, "round": count}


def blob(inputs: dict[str, Any]) -> dict[str, Any]:
    """An answer of ``size`` bytes of text (large-payload tests)."""
    size = int(inputs["size"])
    tag = str(inputs.get("tag", "x"))
    return {"text": (tag * (size // len(tag) + 1))[:size], "size": size}


async def blob_once_let(inputs: dict[str, Any]) -> dict[str, Any]:
    """``blob``, after a line in the file ``journal`` (one per provider call) and a wait
    while ``<journal>.hold`` exists: a test acts between the call and its answer."""
    journal = Path(inputs["journal"])
    with journal.open("a") as f:
        f.write(f"called {time.time():.3f}\n")
    hold = journal.with_name(journal.name + ".hold")
    until = time.monotonic() + 60
    while hold.exists() and time.monotonic() < until:
        await asyncio.sleep(0.05)
    return blob(inputs)


def measure(inputs: dict[str, Any]) -> dict[str, Any]:
    """How long each text input is (a step that reads large outputs)."""
    return {name: len(value["text"]) for name, value in inputs.items()}


def transcript_turn(inputs: dict[str, Any]) -> dict[str, Any]:
    """One turn of a growing conversation: the transcript so far plus a ``tool_kb`` tool
    result (the temporalio/sdk-python#1890 shape)."""
    transcript = list(inputs.get("transcript") or [])
    turn = len(transcript)
    transcript.append({"turn": turn, "tool_result": f"{turn:06d}" * (int(inputs["tool_kb"]) * 170)})
    return {"transcript": transcript, "turns": turn + 1}


def never_satisfied(inputs: dict[str, Any]) -> dict[str, Any]:
    """A reviewer that never accepts (a refine loop that runs all its rounds)."""
    return {"approved": False, "round": inputs.get("round")}


async def record_member(inputs: dict[str, Any]) -> dict[str, Any]:
    """A supervise team member that logs its work like ``record_step`` (the manager
    hands it ``inputs: {log, step, seconds}``)."""
    return await record_step(dict(inputs["inputs"]))
