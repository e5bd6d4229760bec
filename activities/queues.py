"""Task-queue names, shared by workflows, workers and starters (side-effect free)."""

ORCHESTRATION_QUEUE = "podium-orchestration"
"""Queue served by every worker for the interpreter workflow."""

PROVIDER_QUEUE_PREFIX = "podium-llm-"


def provider_queue(provider: str) -> str:
    """Task queue for agent calls to one provider, e.g. ``podium-llm-openai``.

    One queue per provider lets the Temporal server enforce that provider's request
    rate and concurrency across every worker that serves it.
    """
    return f"{PROVIDER_QUEUE_PREFIX}{provider}"
