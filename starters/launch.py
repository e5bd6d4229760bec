"""Starting a compiled plan as a ``PodiumRun`` workflow."""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path
from typing import Any

from podium.activities.queues import ORCHESTRATION_QUEUE
from podium.activities.telemetry import client_span, flush_traces
from podium.activities.templates import render
from podium.workflows import search_attributes as sa
from podium.workflows.expressions import evaluate
from podium.workflows.interpreter import WORKFLOW_NAME
from podium.workflows.plan import Plan, RunInput, node_label
from podium.workflows.state import RunResult
from temporalio.client import Client, WorkflowHandle
from temporalio.common import Priority, SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

UI_BASE_ENV = "PODIUM_UI_URL"
MARKET_LIMIT = 64
"""Characters of a run's market kept in its ``PodiumMarket`` search attribute."""

log = logging.getLogger("podium")


def run_summary(plan: Plan, run_input: dict[str, Any]) -> str:
    """The Web UI summary of a run: the spec's ``summary`` template, or its name."""
    if plan.summary:
        try:
            return render(plan.summary, {"input": run_input})[:400]
        except Exception:  # a summary must never stop a run from starting
            pass
    return plan.name


def run_details(plan: Plan, run_input: dict[str, Any]) -> str:
    """Web UI static details: the steps and the input, in Markdown."""
    steps = "\n".join(f"{i}. `{s.id}` — {node_label(s)}" for i, s in enumerate(plan.steps, 1))
    shown = json.dumps(run_input, ensure_ascii=False, indent=1)[:1500]
    return f"**Spec** `{plan.name}` ({plan.source})\n\n{steps}\n\n**Input**\n```json\n{shown}\n```"


def run_priority(
    plan: Plan, run_input: dict[str, Any], override: Priority | None = None
) -> Priority:
    """The run's Temporal Priority: the spec's ``priority:`` (its fairness expression read
    from the input), with ``override``'s fields winning where set."""
    spec = plan.priority
    key = spec.key if spec else None
    weight = spec.weight if spec else None
    fairness = None
    if spec is not None and spec.fairness:
        try:
            value = evaluate(spec.fairness, {"input": run_input, "steps": {}, "vars": {}})
        except Exception:  # noqa: BLE001 - a runtime type error: the run has no fairness key
            value = None
        if value is not None and value != "":
            fairness = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if override is not None:
        key = override.priority_key or key
        fairness = override.fairness_key or fairness
        weight = override.fairness_weight or weight
    fairness = fairness[:FAIRNESS_KEY_LIMIT] if fairness else None
    return Priority(priority_key=key, fairness_key=fairness, fairness_weight=weight)


FAIRNESS_KEY_LIMIT = 64
"""Characters of a fairness key kept (Temporal limits its length)."""


async def start_run(
    client: Client,
    plan: Plan,
    run_input: dict[str, Any],
    *,
    workflow_id: str | None = None,
    priority: Priority | None = None,
    follow: bool = False,
) -> WorkflowHandle[Any, RunResult]:
    """Start a run of ``plan``; returns its handle (``await handle.result()`` waits).

    ``priority`` overrides the spec's ``priority:`` field by field; Temporal gives the
    run's activities and child runs the same Priority. ``follow``: its agents stream
    their text from the first call on (``podium.subscribe`` reads it); without it they
    do once someone subscribes.

    When tracing is on, a ``start_run {spec}`` span is the root of the run's trace
    (the client's interceptor carries it into the workflow and its agent calls).
    """
    workflow_id = workflow_id or f"{plan.name}-{uuid.uuid4().hex[:8]}"
    span_attributes = {"podium.spec": plan.name, "podium.run_id": workflow_id}
    with client_span(f"start_run {plan.name}", span_attributes):

        async def start(attributes: TypedSearchAttributes) -> WorkflowHandle[Any, RunResult]:
            return await client.start_workflow(
                WORKFLOW_NAME,
                RunInput(
                    plan=plan,
                    input=run_input,
                    payload_store=client.data_converter.external_storage is not None,
                    follow=follow,
                ),
                id=workflow_id,
                task_queue=ORCHESTRATION_QUEUE,
                result_type=RunResult,
                static_summary=run_summary(plan, run_input),
                static_details=run_details(plan, run_input),
                priority=run_priority(plan, run_input, priority),
                search_attributes=attributes,
            )

        try:
            handle = await start(run_search_attributes(plan, run_input))
        except RPCError as exc:  # a server not told of PodiumMarket yet: start without it
            if exc.status != RPCStatusCode.INVALID_ARGUMENT or sa.MARKET.name not in exc.message:
                raise
            log.warning(
                "the namespace has no %s search attribute: run %s starts without it "
                "(create it: docs/console.md#runs)",
                sa.MARKET.name,
                workflow_id,
            )
            handle = await start(run_search_attributes(plan, {}))
    flush_traces()  # CLI commands end with os._exit: nothing flushes buffered spans later
    return handle


def run_search_attributes(plan: Plan, run_input: dict[str, Any]) -> TypedSearchAttributes:
    """The search attributes a run starts with: its spec, ``running``, and its market —
    the input's top-level ``market``, when it is a string (the console's runs list
    filters by it). Set here, by the client, so the workflow code never reads it."""
    pairs = [SearchAttributePair(sa.SPEC, plan.name), SearchAttributePair(sa.STATUS, "running")]
    market = run_input.get("market")
    if isinstance(market, str) and market.strip():
        pairs.append(SearchAttributePair(sa.MARKET, market.strip()[:MARKET_LIMIT]))
    return TypedSearchAttributes(pairs)


def ui_link(workflow_id: str, namespace: str = "default") -> str:
    """Web UI page of a run: ``PODIUM_UI_URL``, else the UI that ``podium dev`` started
    from this folder (``.podium/ui_url``), else the dev server's default port."""
    base = os.environ.get(UI_BASE_ENV) or _dev_ui() or "http://localhost:8233"
    base = base.rstrip("/")
    return f"{base}/namespaces/{namespace}/workflows/{workflow_id}"


def _dev_ui() -> str | None:
    try:
        return (Path(".podium") / "ui_url").read_text().strip() or None
    except OSError:
        return None
