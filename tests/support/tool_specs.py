"""The quoting agent the tool tests share: its tools (``tests.support.tools``), a first
turn that looks two of them up at once, an answer from their results, and the spec
around it; ``calls`` reads the tools' journal (``PODIUM_TEST_TOOL_LOG``, the
``tool_log`` fixture)."""

from __future__ import annotations

import json
from pathlib import Path

FN = "function:tests.support.tools:"
TOOLS = {
    "fx_rate": {"function": FN.removeprefix("function:") + "fx_rate"},
    "vat": {"function": FN.removeprefix("function:") + "vat", "price_usd": 0.01},
    "send_quote": {
        "function": FN.removeprefix("function:") + "send_quote",
        "side_effects": True,
        "approval": {"approvers": ["deal-desk"]},
    },
}
LOOKUP = {
    "when": "turn == `1`",
    "tool_calls": [
        {"name": "fx_rate", "arguments": {"base": "USD", "quote": "{{ quote }}"}},
        {"name": "vat", "arguments": {"country": "TH", "amount": 100}},
    ],
}
ANSWER = {
    "output": {"rate": "{{ tool_results.fx_rate.rate }}", "vat": "{{ tool_results.vat.vat }}"}
}


def spec(script: list[dict], tools: list[str], **agent) -> dict:
    return {
        "name": "quote",
        "agents": {
            "tools": TOOLS,
            "agents": {"quoter": {"model": "scripted", "tools": tools, "script": script, **agent}},
        },
        "steps": [{"id": "price", "agent": "quoter", "with": {"quote": "input.quote"}}],
        "output": "steps.price.output",
    }


def calls(log: Path) -> list[dict]:
    """The tool calls completed so far, in order (one JSON line each)."""
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
