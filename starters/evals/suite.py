"""What an eval suite file says (``podium eval SUITE.yaml``): the spec under test, its
cases, and what each case expects of its run.

    spec: ../specs/support_triage.yaml
    offline: true
    defaults: {concurrency: 4, timeout: 2m}
    cases:
      - name: a double charge goes to billing
        input: {name: Siti, message: "I was charged twice"}
        expect:
          output:
            - {jmespath: output.category, equals: billing}
          trajectory: {agents: [triage, billing-specialist], cost_usd_max: 0.01}
          judge:
            - {agent: reply-judge, rubric: "apologises, says what happens next", at: output.reply}

Expressions (``jmespath``, ``at``) are JMESPath, the dialect of specs, over
``{output, input, status, steps}``: the run's output, its input, its final status and
each tracked step as ``steps.<id>.output`` / ``steps.<id>.status``. ``suite_file`` reads
and checks a file; ``starters.evals.checks`` judges a run against ``Expect``.
"""

from __future__ import annotations

from typing import Any, Literal

from podium.compiler.entries import Duration, Strict, check_duration
from podium.workflows.humans import Outcome
from pydantic import Field, field_validator, model_validator

DEFAULT_CONCURRENCY = 4
DEFAULT_TIMEOUT = "5m"
DEFAULT_MIN_SCORE = 0.7
RunEnd = Literal["completed", "failed", "cancelled"]
Order = Literal["in_order", "exact", "any"]


class Defaults(Strict):
    """What every case gets unless it says otherwise."""

    concurrency: int = Field(
        DEFAULT_CONCURRENCY, ge=1, le=64, description="Cases run at once (`--concurrency` wins)."
    )
    timeout: Duration = Field(
        DEFAULT_TIMEOUT,
        description="How long a case's run may take (e.g. 90s, 5m); then it is cancelled "
        "and the case fails.",
    )

    _durations = field_validator("timeout")(check_duration)


class OutputCheck(Strict):
    """One check of the run's output: exactly one of ``schema``, ``jmespath`` (with
    ``equals`` or ``contains``) or ``regex``."""

    schema_: dict[str, Any] | None = Field(
        None, alias="schema", description="A JSON Schema the value at `at` must match."
    )
    jmespath: str | None = Field(
        None, description="The value to compare (JMESPath over output, input, status, steps)."
    )
    equals: Any = Field(None, description="The value must equal this (with `jmespath`).")
    contains: Any = Field(
        None,
        description="Text: holds this substring; a list: holds this item; a mapping: has this "
        "key (with `jmespath`).",
    )
    regex: str | None = Field(
        None, description="A regular expression (Python syntax) searched in the value at `at`."
    )
    ignore_case: bool = Field(False, description="With `regex`: case does not matter.")
    at: str = Field(
        "output", description="With `schema` or `regex`: where the value is (JMESPath)."
    )

    model_config = {"populate_by_name": True}

    @model_validator(mode="after")
    def _one_kind(self) -> OutputCheck:
        given = [k for k in ("schema", "jmespath", "regex") if self.kind_set(k)]
        if len(given) != 1:
            raise ValueError(
                "an output check has exactly one of schema, jmespath or regex"
                + (f" (this one has {', '.join(given)})" if given else "")
            )
        compared = [k for k in ("equals", "contains") if k in self.model_fields_set]
        if self.jmespath is not None and len(compared) != 1:
            raise ValueError("a jmespath check has exactly one of equals or contains")
        if self.jmespath is None and compared:
            raise ValueError(f"{compared[0]} goes with jmespath (the value to compare)")
        return self

    def kind_set(self, name: str) -> bool:
        """Whether the check is of kind ``name`` (``schema``, ``jmespath`` or ``regex``)."""
        value = self.schema_ if name == "schema" else getattr(self, name)
        return value is not None

    @property
    def kind(self) -> str:
        """``schema``, ``jmespath`` or ``regex``."""
        return next(k for k in ("schema", "jmespath", "regex") if self.kind_set(k))


class Trajectory(Strict):
    """What the run did on its way: agents and tools called, people asked, turns, spend."""

    agents: list[str] | None = Field(
        None, description="Agents called, in this order (see `order`); others may run too."
    )
    tools: list[str] | None = Field(None, description="Tools called, in this order (`order`).")
    order: Order = Field(
        "in_order",
        description="in_order: these ran in this order, others may run between; exact: "
        "these and only these calls, in this order (repeats included); any: each ran at "
        "least once, in any order.",
    )
    not_agents: list[str] = Field(default_factory=list, description="Agents never called.")
    not_tools: list[str] = Field(default_factory=list, description="Tools never called.")
    approvals: list[str] | int | None = Field(
        None,
        description="People asked to approve: the steps (or request ids) in the order "
        "asked, or how many approvals were asked ([] or 0: none).",
    )
    supervisor_turns_max: int | None = Field(
        None, ge=0, description="At most this many supervisor decisions in the run."
    )
    cost_usd_max: float | None = Field(None, ge=0, description="The run cost at most this.")
    tokens_max: int | None = Field(None, ge=0, description="The run used at most this many tokens.")


class JudgeCheck(Strict):
    """A catalog agent scores the output against a rubric: ``{score: 0..1, reason}``."""

    agent: str = Field(description="The judge: an agent of the suite's `judges:` catalogs.")
    rubric: str = Field(min_length=1, description="What a good answer does, in plain words.")
    min_score: float = Field(
        DEFAULT_MIN_SCORE, ge=0, le=1, description="The case fails below this score."
    )
    at: str = Field("output", description="What the judge reads (JMESPath; default the output).")
    reference: Any = Field(None, description="A reference answer the judge may compare with.")
    about: str | None = Field(
        None,
        description="The agent whose work is judged (the score's agent label in metrics; "
        "default: the agent of the step `at` reads, else the last agent called).",
    )


class Expect(Strict):
    """What a case's run must show."""

    status: RunEnd = Field("completed", description="How the run must end.")
    output: list[OutputCheck] = Field(default_factory=list)
    trajectory: Trajectory | None = None
    judge: list[JudgeCheck] = Field(default_factory=list)


class Answer(Strict):
    """How the case answers a request the run puts to people (approvals, failed steps)."""

    step: str = Field(description="The step asking, or the request id (e.g. signoff-1).")
    outcome: Outcome = Field("approve", description="approve, reject, retry, supply, skip, …")
    by: str | None = Field(None, description="Who answers (default: the first approver).")
    comment: str = ""
    output: Any = Field(None, description="With supply: the step's output.")


class Case(Strict):
    """One input and what its run must show."""

    name: str = Field(min_length=1, description="Unique within the suite.")
    input: dict[str, Any] | None = Field(None, description="The run input.")
    input_file: str | None = Field(
        None, description="The run input from a JSON or YAML file (beside the suite)."
    )
    answers: list[Answer] = Field(default_factory=list)
    timeout: Duration | None = Field(None, description="Overrides defaults.timeout.")
    expect: Expect = Field(default_factory=Expect)

    _durations = field_validator("timeout")(check_duration)

    @model_validator(mode="after")
    def _one_input(self) -> Case:
        if self.input is not None and self.input_file is not None:
            raise ValueError("give input or input_file, not both")
        return self


class Suite(Strict):
    """An eval suite file."""

    name: str | None = Field(None, description="The suite's name (default: the file's name).")
    spec: str = Field(description="The spec under test (a path from the suite's folder).")
    offline: bool | None = Field(
        None, description="Run every agent (judges too) on the offline scripted model."
    )
    judges: str | list[str] | None = Field(
        None,
        description="Catalog file(s) of the judge agents (default: the spec's catalogs).",
    )
    cassette: str | None = Field(
        None,
        description="Where --record keeps the models' and tools' answers and --replay reads "
        "them (default: cassettes/<suite>.jsonl beside the suite).",
    )
    defaults: Defaults = Field(default_factory=Defaults)
    cases: list[Case] = Field(min_length=1)

    def judge_files(self) -> list[str]:
        """``judges:`` as a list (empty: the spec's catalogs)."""
        if self.judges is None:
            return []
        return [self.judges] if isinstance(self.judges, str) else list(self.judges)


EVAL_SCHEMA_FILE = "podium-eval.schema.json"


def suite_schema() -> dict[str, Any]:
    """JSON Schema of an eval suite file, for editors (``podium schema`` writes it)."""
    schema = Suite.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Podium eval suite"
    return schema
