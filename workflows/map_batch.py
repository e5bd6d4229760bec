"""``PodiumMapBatch``: one batch of a large map, as a child workflow."""

from __future__ import annotations

from podium.activities.payloads.limits import run_uses_store
from podium.workflows.frame import Frame
from podium.workflows.kinds.map import BATCH_WORKFLOW, MapBatchInput, MapBatchResult, run_items
from podium.workflows.run_context import RunContext
from podium.workflows.state import RunState
from temporalio import workflow


@workflow.defn(name=BATCH_WORKFLOW)
class PodiumMapBatch:
    """Run a map's template over one slice of its items; return outputs in order."""

    @workflow.run
    async def run(self, batch: MapBatchInput) -> MapBatchResult:
        """Run the batch with its share of the map's concurrency."""
        run_uses_store(batch.payload_store)  # the run's decision, not the process's
        ctx = RunContext(
            state=RunState(spec=batch.map_id),
            payload_store=batch.payload_store,
            gates=dict(batch.gates),  # approvals read from the run's steps, as in the run
        )
        outputs = await run_items(
            batch.map_id,
            batch.template,
            batch.as_,
            batch.items,
            batch.first_index,
            Frame.of_batch(batch.scope),
            ctx,
            batch.max_concurrency,
        )
        usage = ctx.state.usage
        return MapBatchResult(
            outputs=outputs,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost_usd=ctx.state.cost_usd,
            agents=ctx.state.agents,
        )
