"""Golden-history scenarios of the step kinds and call mechanics: map batches,
sub-workflows, retries/repair/fallback, parallel any + route + refine, a rate-limited
provider, a goto loop, memory across runs."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workflows.limiter import limiter_id
from temporalio.client import Client

from tests.support.scenario_kit import (
    ECHO,
    HTTP_PROVIDER,
    SCRIPTED,
    finish,
    sample,
    scenario,
    write,
)


@scenario
async def map_batches(client: Client, folder: Path, url: str) -> list[str]:
    """A map whose items run in batch child workflows."""
    spec = {
        "name": "batched",
        "agents": {"agents": {"echo": ECHO}},
        "steps": [
            {
                "id": "each",
                "map": {"over": "input.items", "max_concurrency": 2, "batch_size": 2},
                "step": {"agent": "echo", "with": {"value": "vars.item"}},
            }
        ],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {"items": [1, 2, 3, 4, 5]})
    await finish(handle)
    return [handle.id]


@scenario
async def sub_workflow(client: Client, folder: Path, url: str) -> list[str]:
    """A spec calling another spec as a child."""
    (folder / "agents.yaml").write_text(yaml.safe_dump({"agents": {"echo": ECHO}}))
    child = {
        "name": "child",
        "agents": "agents.yaml",
        "input": {"type": "object", "required": ["v"]},
        "steps": [{"id": "e", "agent": "echo", "with": {"value": "input.v"}}],
    }
    write(folder, child)
    spec = {
        "name": "parent",
        "agents": "agents.yaml",
        "steps": [
            {"id": "sub", "workflow": "child.yaml", "with": {"v": "input.value"}},
            {"id": "after", "agent": "echo", "with": {"value": "steps.sub.output"}},
        ],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {"value": 42})
    await finish(handle)
    return [handle.id]


@scenario
async def retries_repair_fallback(client: Client, folder: Path, url: str) -> list[str]:
    """Transient failures retried on timers, a repair round, then a fallback."""
    schema = {"type": "object", "required": ["ok"]}
    fast = {"initial_interval": "100ms", "max_interval": "200ms", "max_attempts": 3}
    catalog = {
        "agents": {
            "shaky": {
                **SCRIPTED,
                "faults": {"fail_times": 2, "error": "ProviderRateLimited"},
                "retry": fast,
            },
            "sloppy": {
                "model": "scripted",
                "output": schema,
                "script": [{"output": {"nope": 1}}],
                "repair_attempts": 1,
                "fallback": ["tidy"],
            },
            "tidy": {"model": "scripted", "output": schema, "script": [{"output": {"ok": 1}}]},
        }
    }
    spec = {
        "name": "recovering",
        "agents": catalog,
        "steps": [{"id": "third_time", "agent": "shaky"}, {"id": "fixed", "agent": "sloppy"}],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {})
    await finish(handle)
    return [handle.id]


@scenario
async def parallel_any_route_refine(client: Client, folder: Path, url: str) -> list[str]:
    """join: any (the loser is cancelled), a route, a refine loop."""
    slow = {**SCRIPTED, "latency": "5s", "heartbeat": "1s"}
    review = {"model": "scripted", "script": [{"output": {"accepted": True, "notes": "fine"}}]}
    spec = {
        "name": "shapes",
        "agents": {"agents": {"fast": SCRIPTED, "slow": slow, "w": SCRIPTED, "r": review}},
        "steps": [
            {
                "id": "race",
                "parallel": [{"id": "a", "agent": "fast"}, {"id": "b", "agent": "slow"}],
                "join": "any",
            },
            {
                "id": "pick",
                "route": {
                    "on": "input.kind",
                    "cases": {"x": {"agent": "fast"}},
                    "default": {"agent": "w"},
                },
            },
            {
                "id": "polish",
                "refine": {
                    "producer": {"agent": "w"},
                    "reviewer": {"agent": "r"},
                    "until": "vars.review.accepted",
                    "max_rounds": 2,
                },
            },
        ],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {"kind": "x"})
    await finish(handle)
    return [handle.id]


@scenario
async def rate_limited(client: Client, folder: Path, url: str) -> list[str]:
    """Calls to an HTTP provider booked through its limiter workflow."""
    catalog = {
        "providers": {
            HTTP_PROVIDER: {"base_url": url, "requests_per_second": 5, "tokens_per_minute": 60000}
        },
        "agents": {"h": {"model": f"{HTTP_PROVIDER}:m"}},
    }
    spec = {
        "name": "limited",
        "agents": catalog,
        "steps": [{"id": "p", "parallel": [{"id": f"c{i}", "agent": "h"} for i in range(3)]}],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {})
    await finish(handle)
    return [handle.id, limiter_id(HTTP_PROVIDER)]


@scenario
async def goto_loop(client: Client, folder: Path, url: str) -> list[str]:
    """An answer sends the run back twice (``goto``), then on."""
    catalog = {
        "agents": {
            "writer": {"model": "function:tests.support.agents:echo"},
            "reviewer": {"model": "function:tests.support.agents:counting_reviewer"},
        }
    }
    spec = {
        "name": "looping",
        "agents": catalog,
        "steps": [
            {"id": "write", "agent": "writer", "with": {"value": "steps.review.output.round"}},
            {
                "id": "review",
                "agent": "reviewer",
                "with": {"log": "input.log", "rounds": 3, "back": "'write'"},
                "goto": {"to": ["write", "end"], "max": 3},
            },
            {"id": "publish", "agent": "writer", "with": {"value": "steps.write.output"}},
        ],
    }
    log = folder / "reviews.log"
    handle = await start_run(client, compile_spec(write(folder, spec)), {"log": str(log)})
    await finish(handle)
    return [handle.id]


@scenario
async def continue_as_new(client: Client, folder: Path, url: str) -> list[str]:
    """A chain long enough to continue as new (history limit 500 events), whose last step
    reads the first step's output across the hand-over."""
    steps = [{"id": f"s{i}", "agent": "echo", "with": {"value": i}} for i in range(100)]
    steps[-1]["with"] = {"value": "steps.s0.output"}
    spec = {
        "name": "long_chain",
        "agents": {"agents": {"echo": ECHO}},
        "history": {"max_events": 500},
        "steps": steps,
        "output": "steps.s99.output",
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {})
    await finish(handle)
    return [handle.id]


@scenario
async def fast_calls(client: Client, folder: Path, url: str) -> list[str]:
    """Fast function agents in a row and a fast function tool: local activities, each
    committed before the next (patch ``podium-local-calls``)."""
    tools = {"vat": {"function": "tests.support.tools:vat", "fast": True}}
    quoter = {
        "model": "scripted",
        "tools": ["vat"],
        "script": [
            {
                "when": "turn == `1`",
                "tool_calls": [{"name": "vat", "arguments": {"country": "TH", "amount": 100}}],
            },
            {"output": "{{ tool_results.vat.vat }}"},
        ],
    }
    spec = {
        "name": "fast_calls",
        "agents": {"tools": tools, "agents": {"echo": {**ECHO, "fast": True}, "quoter": quoter}},
        "steps": [
            {"id": "a", "agent": "echo", "with": {"value": "`1`"}},
            {"id": "b", "agent": "echo", "with": {"value": "steps.a.output"}},
            {"id": "c", "agent": "quoter"},
        ],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {})
    await finish(handle)
    return [handle.id]


@scenario
async def tool_attempts(client: Client, folder: Path, url: str) -> list[str]:
    """A side-effecting tool busy once (its second attempt on a durable timer, each
    attempt an activity: patch ``podium-tool-attempts``), then undone with its
    compensating tool when a later step fails."""
    functions = "tests.support.tools:"
    tools = {
        "reserve": {
            "function": functions + "reserve_fx_when_free",
            "side_effects": True,
            "compensate": "release",
            "retry": {"max_attempts": 3, "initial_interval": "100ms"},
        },
        "release": {"function": functions + "release_fx", "side_effects": True},
    }
    hold = {"name": "reserve", "arguments": {"currency": "THB", "amount": 5000}}
    holder = {
        "model": "scripted",
        "tools": ["reserve"],
        "script": [{"when": "turn == `1`", "tool_calls": [hold]}, {"output": "held"}],
    }
    breaker = {"model": "scripted", "script": [{"fail": "no"}]}
    spec = {
        "name": "tool_attempts",
        "agents": {"tools": tools, "agents": {"holder": holder, "breaker": breaker}},
        "steps": [{"id": "hold", "agent": "holder"}, {"id": "later", "agent": "breaker"}],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {})
    await finish(handle)
    return [handle.id]


@scenario
async def memory_across_runs(client: Client, folder: Path, url: str) -> list[str]:
    """support_triage twice for one customer: the second run's reply writer reads the
    first ticket (``podium.memory_read``) and each run keeps its own
    (``podium.memory_write``, after the refine step)."""
    earlier = os.environ.get("PODIUM_MEMORY_URL")
    os.environ["PODIUM_MEMORY_URL"] = f"sqlite://{folder / 'memory.db'}"  # the workers' store
    try:
        ids = [
            await sample(
                client, "support_triage", {"name": "Siti", "customer": "C-1042", "message": text}
            )
            for text in (
                "I was charged twice for my order #4411, please refund one.",
                "The app shows an error when I log in.",
            )
        ]
    finally:
        if earlier is None:
            os.environ.pop("PODIUM_MEMORY_URL", None)
        else:
            os.environ["PODIUM_MEMORY_URL"] = earlier
    return ids[::-1]  # the run that read memory first
