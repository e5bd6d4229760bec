"""Recordings ("cassettes"): the answers of real models and tools, kept, then replayed.

A worker started with ``PODIUM_CASSETTE=FILE`` and ``PODIUM_CASSETTE_MODE=record``
answers every agent call through its provider as usual and keeps the provider's reply
in ``FILE`` (JSON Lines, one request and its answer a line); every tool call's outcome
too. With ``PODIUM_CASSETTE_MODE=replay`` no provider and no tool is called: each call
is answered from ``FILE`` — offline, deterministic, free. A call no recording answers
(the spec, a prompt, an input or a tool result changed since) fails as
``ProviderNotConfigured`` / ``ToolNotConfigured`` with what changed, and is listed in
``PODIUM_CASSETTE_MISSES`` (JSON Lines) when set. ``podium eval --record/--replay``
starts such a worker (docs/evals.md); its judges are answered the same way.

The seams: an agent call is recorded at its provider (``PROVIDER_KINDS``), so limits,
guards, prices and the stored result work as they do live; a tool call at its activity
(``podium.run_tool``), guards included. A request is identified by what the model or the
tool is given: the model, the instructions (with the output contract), the inputs, the
conversation so far (tool results, a repair round) and the tools offered; a tool call by
the tool's name and arguments. Run ids, step ids and attempts are not part of it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from podium.activities.contracts import AgentCall, ToolCall, Usage
from podium.activities.errors import ProviderNotConfigured, ToolNotConfigured
from podium.activities.providers.prompt import build_messages
from podium.activities.providers.reply import ProviderReply
from podium.activities.tool_contracts import ToolCallInput, ToolOutcome
from podium.activities.tools.run import run_tool
from pydantic import BaseModel, Field
from temporalio import activity

CASSETTE_ENV = "PODIUM_CASSETTE"
MODE_ENV = "PODIUM_CASSETTE_MODE"
MISSES_ENV = "PODIUM_CASSETTE_MISSES"
Mode = Literal["record", "replay"]
PARTS = {
    "model": "its model",
    "instructions": "its instructions or output schema",
    "inputs": "its inputs",
    "conversation": "the conversation so far (a tool result or a repair round)",
    "tools": "the tools it is offered",
    "arguments": "its arguments",
}
"""What each part of a request is, as a miss names it."""

logger = logging.getLogger("podium.cassette")
Complete = Callable[[AgentCall], Any]


class Request(BaseModel):
    """One call as a recording knows it: who, where, and a hash of each part it sends."""

    kind: Literal["agent", "tool"]
    name: str
    step: str = ""
    key: str = ""
    parts: dict[str, str] = Field(default_factory=dict)


class Entry(Request):
    """A request and its recorded answer (a provider's reply, a tool's outcome)."""

    answer: dict[str, Any]


class Miss(Request):
    """A call no recording answered, and why (written to ``PODIUM_CASSETTE_MISSES``)."""

    run_id: str = ""
    why: str = ""


def _hash(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _request(
    kind: Literal["agent", "tool"], name: str, step: str, parts: dict[str, Any]
) -> Request:
    hashed = {part: _hash(value) for part, value in parts.items()}
    return Request(kind=kind, name=name, step=step, key=_hash([kind, name, hashed]), parts=hashed)


def agent_request(call: AgentCall) -> Request:
    """What identifies an agent call: the model and everything it is sent."""
    agent = call.agent
    messages = build_messages(call)
    offered = [t.model_dump(include={"name", "description", "parameters"}) for t in agent.tools]
    parts = {
        "model": [agent.provider.kind, agent.model, agent.max_output_tokens],
        "instructions": messages[0],
        "inputs": messages[1],
        "conversation": messages[2:],
        "tools": [offered, call.tools_enabled, agent.tool_choice] if agent.tools else [],
    }
    return _request("agent", agent.name, call.step_id, parts)


def tool_request(call: ToolCallInput) -> Request:
    """What identifies a tool call: the tool and its arguments."""
    return _request("tool", call.tool.name, call.step_id, {"arguments": call.arguments})


class Cassette:
    """The recordings in one file, kept or read back (``mode``)."""

    def __init__(self, path: Path, mode: Mode, misses: Path | None = None):
        self.path, self.mode, self.misses = path, mode, misses
        self.entries: dict[str, Entry] = {}
        self._lock = threading.Lock()
        if mode == "replay":
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if line.strip():
                    try:
                        entry = Entry.model_validate_json(line)
                    except ValueError as exc:
                        raise ValueError(f"{path}:{number}: not a recording: {exc}") from None
                    self.entries.setdefault(entry.key, entry)  # the first answer kept

    def answer(self, request: Request) -> dict[str, Any] | None:
        """The recorded answer to ``request`` (None: nothing recorded answers it)."""
        entry = self.entries.get(request.key)
        return entry.answer if entry is not None else None

    def keep(self, request: Request, answer: dict[str, Any]) -> None:
        """Add ``request`` and its answer to the file (a request asked again is kept once:
        its first answer is the one a replay gives)."""
        entry = Entry(**request.model_dump(), answer=answer)
        with self._lock:
            if request.key in self.entries:
                return
            self.entries[request.key] = entry
            with self.path.open("a", encoding="utf-8") as sink:
                sink.write(entry.model_dump_json() + "\n")

    def why_missing(self, request: Request) -> str:
        """What differs from the closest recording of the same agent or tool."""
        same = [
            e for e in self.entries.values() if (e.kind, e.name) == (request.kind, request.name)
        ]
        if not same:
            return f"{request.kind} {request.name!r} was never recorded"
        here = [e for e in same if e.step == request.step] or same
        closest = min(
            here, key=lambda e: sum(e.parts.get(p) != h for p, h in request.parts.items())
        )
        changed = [PARTS.get(p, p) for p, h in request.parts.items() if closest.parts.get(p) != h]
        return "; ".join(changed) + " differ from every recording" if changed else "no match"

    def missed(self, request: Request, run_id: str) -> str:
        """Note a call no recording answers; return the message its failure carries."""
        why = self.why_missing(request)
        where = f" at step {request.step!r}" if request.step else ""
        message = (
            f"no recording answers {request.kind} {request.name!r}{where} ({why}); record "
            f"again (podium eval --record) or look at what changed"
        )
        logger.warning("cassette %s: %s (run %s)", self.path, message, run_id)
        if self.misses is not None:
            miss = Miss(**request.model_dump(), run_id=run_id, why=why)
            with self._lock, self.misses.open("a", encoding="utf-8") as sink:
                sink.write(miss.model_dump_json() + "\n")
        return message

    def provider(self, complete: Complete) -> Complete:
        """``complete`` (a provider) answering through this cassette."""

        async def answered(call: AgentCall) -> ProviderReply:
            request = agent_request(call)
            if self.mode == "replay":
                recorded = self.answer(request)
                if recorded is None:
                    raise ProviderNotConfigured(self.missed(request, call.run_id))
                return _reply(recorded)
            reply: ProviderReply = await complete(call)
            self.keep(request, _reply_data(reply))
            return reply

        return answered

    def tool_activity(self) -> Callable[[ToolCallInput], Any]:
        """The ``podium.run_tool`` activity answering through this cassette."""

        @activity.defn(name="podium.run_tool")
        async def run_tool_recorded(call: ToolCallInput) -> ToolOutcome:
            request = tool_request(call)
            if self.mode == "replay":
                recorded = self.answer(request)
                if recorded is None:
                    raise ToolNotConfigured(
                        self.missed(request, call.run_id)
                    ).to_application_error()
                return ToolOutcome.model_validate(recorded)
            outcome = await run_tool(call)
            self.keep(request, outcome.model_dump(mode="json"))
            return outcome

        return run_tool_recorded


def _reply_data(reply: ProviderReply) -> dict[str, Any]:
    return {
        "output": reply.output,
        "model": reply.model,
        "usage": reply.usage.model_dump(mode="json"),
        "finish_reason": reply.finish_reason,
        "offline": reply.offline,
        "tool_calls": [call.model_dump(mode="json") for call in reply.tool_calls],
        "text": reply.text,
    }


def _reply(data: dict[str, Any]) -> ProviderReply:
    return ProviderReply(
        output=data.get("output"),
        model=str(data.get("model", "")),
        usage=Usage.model_validate(data.get("usage") or {}),
        finish_reason=data.get("finish_reason"),
        offline=bool(data.get("offline")),
        tool_calls=[ToolCall.model_validate(c) for c in data.get("tool_calls") or []],
        text=data.get("text"),
    )


def from_environment(environ: Mapping[str, str]) -> Cassette | None:
    """The cassette ``PODIUM_CASSETTE`` names (None when unset).

    Raises:
        ValueError: a mode other than record or replay, or a recording that cannot be read.
    """
    path = environ.get(CASSETTE_ENV)
    if not path:
        return None
    mode = environ.get(MODE_ENV, "replay")
    if mode == "record":
        kept: Mode = "record"
    elif mode == "replay":
        kept = "replay"
        if not Path(path).is_file():
            raise ValueError(f"{CASSETTE_ENV}={path}: no recording there (record one first)")
    else:
        raise ValueError(f"{MODE_ENV}={mode!r}: write record or replay")
    misses = environ.get(MISSES_ENV)
    return Cassette(Path(path), kept, Path(misses) if misses else None)


def read_misses(path: Path) -> list[Miss]:
    """The misses noted in ``path`` (none if it does not exist)."""
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Miss.model_validate_json(line) for line in lines if line.strip()]
