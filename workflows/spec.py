"""The workflow spec language (YAML), v0: a chain of agent steps.

    name: market_brief
    summary: "Market brief for {{ input.company }}"
    input: {type: object, required: [company], properties: {company: {type: string}}}
    agents: ../agents/analysts.yaml       # a catalog file, a list of them, or inline
    steps:
      - id: research
        agent: researcher
        with: {company: input.company}    # values are JMESPath over {input, steps}
      - id: write
        agent: writer
        with: {facts: steps.research.output, tone: "'formal'"}
        timeout: 30s
    output: steps.write.output            # or a mapping of name → expression

``with`` values that are not strings (numbers, booleans, lists, mappings) are taken
literally; strings are expressions — quote text as ``"'text'"``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from workflows.catalog import CatalogFile, Duration, RetryEntry, Strict, _check_duration


class StepEntry(Strict):
    """One agent step."""

    id: str = Field(description="Unique step id; letters, digits and '_' (used in steps.<id>).")
    agent: str = Field(description="Name of an agent in the catalog.")
    description: str = ""
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")
    timeout: Duration | None = None
    retry: RetryEntry | None = None

    _durations = field_validator("timeout")(_check_duration)

    model_config = Strict.model_config | {"populate_by_name": True}


class SpecFile(Strict):
    """A workflow spec file."""

    name: str
    summary: str | None = Field(None, description="Web UI summary; may use {{ input.x }}.")
    description: str = ""
    input: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object"}, description="JSON Schema of the run input."
    )
    agents: str | list[str] | CatalogFile = Field(
        default_factory=CatalogFile, description="Catalog file path(s), or an inline catalog."
    )
    steps: list[StepEntry] = Field(min_length=1)
    output: str | dict[str, str] | None = None
