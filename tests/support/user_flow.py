"""A user's own workflow, written against ``import podium`` and run in the default
workflow sandbox (tests/test_public_api.py)."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import workflow

import podium  # as a user writes it: PodiumPlugin lets it through the sandbox


class ReviewInput(BaseModel):
    """The agents (from ``podium.load_catalog``) and the terms to review."""

    agents: dict[str, podium.AgentConfig]
    terms: str


@workflow.defn(name="UserDealReview")
class UserDealReview:
    """Two analysts in parallel, then a summary step with repair, fallback and a budget."""

    @workflow.run
    async def run(self, review: ReviewInput) -> dict:
        agents = review.agents
        ledger = podium.AgentStepLedger(budget_usd=1.0)

        async def analyst(name: str) -> object:
            step = await podium.call_agent_step(
                agents[name], {"terms": review.terms}, step_id=name, ledger=ledger
            )
            return step.output

        outcomes = await podium.fan_out(
            {"legal": lambda: analyst("legal"), "finance": lambda: analyst("finance")}
        )
        summary = await podium.call_agent_step(
            agents["sloppy"],
            {k: o.value for k, o in outcomes.items()},
            step_id="summary",
            fallbacks=[agents["tidy"]],
            ledger=ledger,
        )
        return {
            "summary": summary.output,
            "answered_by": summary.agent,
            "tried": [t.text() for t in summary.tried],
            "spent_usd": ledger.state.cost_usd,
            "budget_calls": ledger.state.budget.calls if ledger.state.budget else 0,
        }


class JoinInput(BaseModel):
    """Two agents: one answers (``fast``: on the user's worker), one refuses."""

    agents: dict[str, podium.AgentConfig]


@workflow.defn(name="UserJoin")
class UserJoin:
    """A join that cannot succeed, left uncaught: ``JoinFailed`` must fail the run."""

    @workflow.run
    async def run(self, join: JoinInput) -> dict:
        agents = join.agents

        async def ask(name: str) -> object:
            return (await podium.call_agent(agents[name], {}, step_id=name)).output

        outcomes = await podium.fan_out(
            {"fine": lambda: ask("fine"), "refuses": lambda: ask("refuses")}
        )
        return {name: outcome.value for name, outcome in outcomes.items()}
