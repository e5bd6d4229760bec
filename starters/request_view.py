"""How one request waiting for people reads on the terminal: everything needed to decide
it (``podium show``) and the exact tool call under its ``podium inbox`` row.

- ``call_lines``: a tool call — tool, agent, turn, the arguments as indented JSON and what
  the model said beside the call; cut after ``INBOX_LINES`` lines / ``INBOX_CHARS``
  characters with a note naming ``podium show``, or whole;
- ``show_lines``: the whole request — what is asked (the call; an approval's title and
  details; a budget request's spend so far; a failed step's error; a question's task),
  when it opened, who decides now and until when, the escalation chain ahead and what
  happens at its end, its history, and the commands that answer it.

Nothing here does I/O. JSON keeps non-ASCII text as is; control characters in free text
are shown escaped; every string passes ``secrets.scrub`` (no secret of this machine's
environment is printed).
"""

from __future__ import annotations

import json
import shlex
from datetime import datetime, timedelta
from typing import Any

from podium.activities.secrets import scrub, scrub_value
from podium.starters.formatting import CONTROL, age_text, budget_line, duration_text, when
from podium.workflows.humans import RUN_SCOPE, HumanRequest
from podium.workflows.state import RunState

INBOX_LINES = 12
"""Lines of a tool call's arguments ``podium inbox`` shows before cutting."""
INBOX_CHARS = 1000
"""… and characters."""
INDENT = "  "


def pretty(value: Any) -> str:
    """``value`` as indented JSON: non-ASCII kept, secrets scrubbed, control characters
    escaped (JSON leaves C1 controls such as ``\\x9b`` as they are)."""
    return _escaped(json.dumps(scrub_value(value), ensure_ascii=False, indent=2, default=str))


def words(text: str) -> str:
    """Free text (a model's reason, an error): scrubbed, control characters escaped except
    line breaks and tabs."""
    return _escaped(scrub(text))


def _escaped(text: str) -> str:
    return CONTROL.sub(lambda m: m.group() if m.group() in "\n\t" else repr(m.group())[1:-1], text)


def _indented(text: str, indent: str) -> list[str]:
    return [indent + line for line in text.splitlines()] or [indent]


def call_lines(run_id: str, request: HumanRequest, *, whole: bool, indent: str = "") -> list[str]:
    """The tool call ``request`` asks about ([] if it asks about none)."""
    call = request.tool_call
    if call is None:
        return []
    turn = f", turn {call.turn}" if call.turn is not None else ""
    lines = [f"{indent}call {call.tool} (agent {call.agent}{turn}) with arguments:"]
    body = _indented(pretty(call.arguments), indent + INDENT)
    if not whole and (len(body) > INBOX_LINES or sum(map(len, body)) > INBOX_CHARS):
        kept: list[str] = []
        for line in body[:INBOX_LINES]:
            room = INBOX_CHARS - sum(map(len, kept))
            if room <= len(indent) + 10:
                break
            kept.append(line if len(line) <= room else line[:room] + "…")
        lines += kept
        lines.append(
            f"{indent}{INDENT}… cut after {len(kept)} of {len(body)} lines; the whole call: "
            f"podium show {shlex.quote(run_id)} {shlex.quote(request.id)}"
        )
    else:
        lines += body
    if call.reason:
        reason = words(call.reason)
        if not whole and len(reason) > 300:
            reason = reason[:299] + "…"
        first, *rest = reason.splitlines() or [""]
        lines.append(f"{indent}reason: {first}")
        lines += [f"{indent}{INDENT}{line}" for line in rest]
    return lines


def show_lines(run_id: str, request: HumanRequest, state: RunState, now: datetime) -> list[str]:
    """Everything ``podium show RUN REQUEST`` prints about ``request``."""
    lines = [
        f"{request.id}: {request.kind} request of run {run_id} ({state.spec}), step "
        f"{request.step} — {request.status}",
        f"{INDENT}{words(request.title)}",
        "",
    ]
    lines += _asked(run_id, request, state)
    age = age_text(_seconds(now, request.opened_at))
    lines += ["", f"opened:      {when(request.opened_at)} ({age} ago)"]
    if request.status == "open":
        lines += _waiting(request, now)
    else:
        lines += _closed(request)
    if request.history:
        lines += ["", "history:"] + [f"{INDENT}{words(h)}" for h in request.history]
    if request.status == "open":
        lines += ["", "answer with one of:"] + [
            f"{INDENT}{c}" for c in answer_commands(run_id, request)
        ]
    return lines


def _asked(run_id: str, request: HumanRequest, state: RunState) -> list[str]:
    """What the request asks, by kind."""
    if request.tool_call is not None:
        return call_lines(run_id, request, whole=True)
    details = request.details if isinstance(request.details, dict) else {}
    if request.kind == "failure":
        lines = [f"error: {words(request.failure or '(not recorded)')}"]
        if details.get("agent"):
            lines.append(f"agent: {details['agent']}")
        if request.output_schema:
            lines += ["a supplied output must match the step's output schema:"]
            lines += _indented(pretty(request.output_schema), INDENT)
        return lines
    if request.kind == "budget":
        lines = []
        if details.get("why"):
            lines.append(f"why: {words(str(details['why']))}")
        if state.budget is not None:
            lines.append("spend so far (now):")
            lines.append(budget_line(state.budget))
        needs = [
            f"${details['needed_usd']}" if details.get("needed_usd") is not None else "",
            f"{details['needed_tokens']} tokens"
            if details.get("needed_tokens") is not None
            else "",
        ]
        if any(needs):  # (a spend window's request names only the measure it ran out of)
            lines.append(
                f"the waiting call needs a limit of at least {' / '.join(n for n in needs if n)} "
                "(spent + reserved + its estimate)"
            )
        return lines
    lines = (
        ["details: none"]
        if request.details is None
        else ["details:"] + _indented(pretty(request.details), INDENT)
    )
    if request.unlocks:
        lines += ["approving lets these steps with side effects run:"]
        lines += [f"{INDENT}{words(step)}" for step in request.unlocks]
    return lines


def _waiting(request: HumanRequest, now: datetime) -> list[str]:
    """Who decides now and until when; the levels after; what happens at the end."""
    who = ", ".join(request.approvers) or "anyone"
    levels = len(request.chain)
    level = f" (level {request.level + 1} of {levels})" if levels > 1 else ""
    until = (
        f" until {when(request.deadline)} (in {duration_text(_seconds(request.deadline, now))})"
        if request.deadline
        else ", no time limit"
    )
    lines = [f"waiting on:  {who}{level}{until}"]
    start = request.deadline
    for number, later in enumerate(request.chain[request.level + 1 :], request.level + 2):
        if start is None:
            break
        limit = f" for {duration_text(later.wait_s)}" if later.wait_s else ", no time limit"
        lines.append(
            f"then:        level {number}: {', '.join(later.approvers) or 'anyone'} from "
            f"{when(start)}{limit}"
        )
        start = start + timedelta(seconds=later.wait_s) if later.wait_s else None
    if start is not None and request.on_timeout:
        lines.append(f"if nobody decides by {when(start)}: {_default(request)}")
    return lines


def _default(request: HumanRequest) -> str:
    """What happens when nobody decides in time."""
    if request.on_timeout == "fail":
        if request.kind == "question":
            return "the manager is told this turn failed"
        return "the step fails (ApprovalTimedOut)"
    outcome = "approved" if request.on_timeout == "approve" else "rejected"
    if request.tool_call is not None and outcome == "rejected":
        return f"rejected by default — {request.tool_call.tool} is not called"
    return f"{outcome} by default"


def _closed(request: HumanRequest) -> list[str]:
    decision = request.decision
    if decision is None:
        return [f"closed:      {request.status}; nothing to answer"]
    comment = f" — {words(decision.comment)}" if decision.comment else ""
    return [
        f"{request.status}:     {decision.outcome} by {decision.by} at {when(decision.at)} "
        f"({decision.channel}, level {decision.level + 1}){comment}"
    ]


def answer_commands(run_id: str, request: HumanRequest) -> list[str]:
    """The ``podium approve`` / ``podium resolve`` commands that answer ``request``."""
    base = f"{shlex.quote(run_id)} {shlex.quote(request.id)}"
    who = f" --as {shlex.quote(request.approvers[0])}" if request.approvers else ""
    if request.kind == "approval":
        return [
            f"podium approve {base} --approve{who}",
            f'podium approve {base} --reject{who} --comment "why"',
        ]
    flags = {
        "failure": ["--retry", "--retry --inputs '{…}'", "--supply FILE", "--skip", "--abort"],
        "budget": ["--raise-usd N", "--raise-tokens N", "--continue", "--abort"],
        "deadline": ["--continue", "--skip", "--abort"],
        "question": ["--supply FILE"],
    }[request.kind]
    if request.kind == "deadline" and request.step == RUN_SCOPE:  # a run cannot be skipped
        flags.remove("--skip")
    commands = [f"podium resolve {base} {flag}{who}" for flag in flags]
    if request.kind == "question":
        commands += [
            f"podium approve {base} --approve{who}",
            f"podium approve {base} --reject{who}",
        ]
    return commands


def _seconds(later: datetime, earlier: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds())
