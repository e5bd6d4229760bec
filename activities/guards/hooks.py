"""Where the activities apply guards: ``run_agent`` before the provider is sent the call
(``screen_call``) and before the answer is returned and stored (``screen_reply``);
``run_tool`` before the tool gets its arguments (``screen_arguments``) and before its
result goes back to the model (``screen_result``).

Each returns what passes on and notes for the run's record (``masked email ×1 in its
input``), records ``podium_guard_trips``, and raises ``GuardTripped`` — naming kinds and
places, never values — when a check blocks.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from typing import Any

from podium.activities.contracts import AgentCall, Usage
from podium.activities.errors import GuardTripped
from podium.activities.guards.screening import Screened, counted, screen_injection, screen_pii
from podium.activities.guards.settings import GuardSettings, GuardTrip, PiiCheck
from podium.activities.metric_names import GUARD_TRIPS
from podium.activities.providers.reply import ProviderReply
from podium.activities.tool_contracts import ToolCallInput
from temporalio import activity
from temporalio.common import MetricMeter

logger = logging.getLogger("podium.guard")
SHOWN_PLACES = 8
"""Places a trip's message lists (the rest are counted)."""


@dataclasses.dataclass(frozen=True)
class _Owner:
    """Whose guard: an agent's or a tool's."""

    kind: str  # "agent" | "tool"
    name: str
    guard: GuardSettings

    def __str__(self) -> str:
        return f"{self.kind} {self.name!r}"


def streamable(call: AgentCall) -> AgentCall:
    """``call`` without its stream target when its answer is screened: text streamed as it
    is written would reach watchers before the output check."""
    guard = call.agent.guard
    if call.stream is None or guard is None or guard.output is None:
        return call
    return call.model_copy(update={"stream": None})


def screen_call(call: AgentCall) -> tuple[AgentCall, list[str]]:
    """What the provider may be sent of ``call``, and notes of what the guard did."""
    guard = call.agent.guard
    if guard is None:
        return call, []
    owner, notes = _Owner("agent", call.agent.name, guard), list[str]()
    if guard.injection is not None and guard.injection.rules:
        found = screen_injection(call.inputs, "input")
        _injection(owner, found, "its input")
    if guard.input is None:
        return call, notes
    inputs = screen_pii(call.inputs, guard.input, "input")
    messages = [_message(m, i, guard.input) for i, m in enumerate(call.messages)]
    for screened in messages:
        inputs.add(screened)
    update: dict[str, Any] = {"inputs": inputs.value, "messages": [m.value for m in messages]}
    if call.repair is not None:
        previous = screen_pii(call.repair.previous, guard.input, "its previous answer")
        inputs.add(previous)
        update["repair"] = call.repair.model_copy(update={"previous": previous.value})
    _pii(owner, "input", guard.input, inputs, "its input", notes)
    return (call.model_copy(update=update) if inputs.counts else call), notes


def _message(message: dict[str, Any], index: int, check: PiiCheck) -> Screened:
    """One message of the tool loop with its text screened (the model's tool-call
    arguments are its own words, checked by the tools' guards)."""
    content = message.get("content")
    if not isinstance(content, str):
        return Screened(message)
    screened = screen_pii(content, check, f"message {index + 1} ({message.get('role')})")
    screened.value = {**message, "content": screened.value}
    return screened


def screen_reply(call: AgentCall, reply: ProviderReply) -> tuple[ProviderReply, list[str]]:
    """The answer as it may be returned and stored, and notes of what the guard did."""
    guard = call.agent.guard
    if guard is None or guard.output is None:
        return reply, []
    owner, notes = _Owner("agent", call.agent.name, guard), list[str]()
    output = screen_pii(reply.output, guard.output, "output")
    text = screen_pii(reply.text, guard.output, "its text")
    output.add(text)
    _pii(owner, "output", guard.output, output, "its answer", notes, billed=reply.usage)
    if not output.counts:
        return reply, notes
    return dataclasses.replace(reply, output=output.value, text=text.value), notes


def screen_arguments(call: ToolCallInput) -> tuple[ToolCallInput, list[str]]:
    """The arguments the tool may get, and notes of what its guard did."""
    guard = call.tool.guard
    if guard is None or guard.input is None:
        return call, []
    owner, notes = _Owner("tool", call.tool.name, guard), list[str]()
    screened = screen_pii(call.arguments, guard.input, "argument")
    _pii(owner, "input", guard.input, screened, "its arguments", notes)
    if not screened.counts:
        return call, notes
    return call.model_copy(update={"arguments": screened.value}), notes


def screen_result(call: ToolCallInput, content: Any) -> tuple[Any, list[str]]:
    """The tool's result as the model may read it, and notes of what its guard did."""
    guard = call.tool.guard
    if guard is None:
        return content, []
    owner, notes = _Owner("tool", call.tool.name, guard), list[str]()
    if guard.injection is not None and guard.injection.rules:
        _injection(owner, screen_injection(content, "the result"), "its result")
    if guard.output is None:
        return content, notes
    screened = screen_pii(content, guard.output, "the result")
    _pii(owner, "output", guard.output, screened, "its result", notes)
    return screened.value, notes


def _pii(
    owner: _Owner,
    check: str,
    settings: PiiCheck,
    found: Screened,
    where: str,
    notes: list[str],
    billed: Usage | None = None,
) -> None:
    if not found.counts:
        return
    _record(owner, check, settings.action, found.counts)
    if settings.action == "block":
        what = f"personal data in {where}"
        raise _tripped(owner, check, settings.on_trip, what, found, "pii: block", billed)
    verb = {"mask": "masked", "redact": "redacted"}[settings.action]
    notes.append(f"guard of {owner} {verb} {counted(found.counts)} in {where}")
    logger.info("guard of %s %s %s in %s", owner, verb, counted(found.counts), where)


def _injection(owner: _Owner, found: Screened, where: str) -> None:
    if not found.counts:
        return
    _record(owner, "injection", "block", Counter({"injection": sum(found.counts.values())}))
    on_trip = owner.guard.injection.on_trip if owner.guard.injection else None
    what = f"prompt injection in {where}"
    raise _tripped(owner, "injection", on_trip, what, found, "injection rules")


def _tripped(
    owner: _Owner,
    check: str,
    on_trip: str | None,
    what: str,
    found: Screened,
    rule: str,
    billed: Usage | None = None,
) -> GuardTripped:
    decided = on_trip or owner.guard.on_trip
    shown = ", ".join(found.places[:SHOWN_PLACES])
    more = len(found.places) - SHOWN_PLACES
    if more > 0:
        shown += f" and {more} more"
    trip = GuardTrip(
        owner=str(owner),
        check=check,  # type: ignore[arg-type]
        found=found.places,
        on_trip=decided,  # type: ignore[arg-type]
        escalate_to=owner.guard.escalate_to,
    )
    then = "a person decides (on_trip: escalate)" if decided == "escalate" else "the step fails"
    message = f"guard of {owner} found {what}: {shown} ({rule}); nothing was passed on, {then}"
    logger.warning("%s", message)
    details: dict[str, Any] = {"guard": trip.model_dump()}
    if billed is not None:  # the provider answered: the call was paid for
        details["usage"] = billed.model_dump()
    return GuardTripped(message, **details)


def _record(owner: _Owner, check: str, action: str, counts: Counter[str]) -> None:
    """Add to ``podium_guard_trips`` (when this worker exports metrics)."""
    try:
        meter = activity.metric_meter()
    except RuntimeError:  # not in an activity (unit tests)
        return
    if meter is MetricMeter.noop:
        return
    trips = GUARD_TRIPS.counter(meter)
    agent, tool = (owner.name, "") if owner.kind == "agent" else ("", owner.name)
    for kind, n in counts.items():
        labels = {"agent": agent, "tool": tool, "kind": kind, "action": action, "check": check}
        trips.add(n, labels)
