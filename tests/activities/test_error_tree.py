"""The error tree drawn in activities/errors.py is the class hierarchy, and docs/errors.md
explains every leaf (httpx's test_exceptions idea: drawing, classes and docs agree)."""

from __future__ import annotations

import re

from podium.activities import error_types, errors
from podium.activities.payloads.codec import UnknownEncryptionKey
from podium.activities.payloads.settings import PayloadSettingsError
from podium.compiler.problems import CompileError
from podium.compiler.spec_paths import SpecEditError
from podium.compiler.textfile import FileReadError
from podium.starters.connect import TemporalUnreachable
from podium.starters.inputs import InputError
from podium.starters.payload_size import InputTooLarge
from podium.starters.planning import PlanningError
from podium.workers.worker import ConfigurationError

from tests.conftest import ROOT

ELSEWHERE = {
    c.__name__: c
    for c in (
        CompileError,
        FileReadError,
        InputError,
        InputTooLarge,
        ConfigurationError,
        TemporalUnreachable,
        PayloadSettingsError,
        UnknownEncryptionKey,
        PlanningError,
        SpecEditError,
    )
}
LINE = re.compile(r"^(?P<indent>[ │]*)(?:[├└]── )?(?P<name>[A-Z]\w+)(?P<note>.*)$")


def drawn_tree() -> list[tuple[str, str | None, str]]:
    """(class, parent, note) for every line of the drawing in the module docstring."""
    doc = errors.__doc__ or ""
    block = doc.split("\n\n")[1]
    rows: list[tuple[str, str | None, str]] = []
    stack: list[tuple[int, str]] = []
    for raw in block.splitlines():
        match = LINE.match(raw.strip("\n")[4:])
        if match is None or not match["name"]:
            continue
        depth = len(match["indent"]) // 4 + (1 if "──" in raw else 0)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        rows.append((match["name"], stack[-1][1] if stack else None, match["note"].strip()))
        stack.append((depth, match["name"]))
    return rows


def resolve(name: str) -> type:
    return ELSEWHERE.get(name) or getattr(errors, name)


def every_subclass(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *every_subclass(sub)}
    return found


def test_the_drawing_is_the_class_hierarchy():
    rows = drawn_tree()
    assert rows[0] == ("PodiumError", None, "")
    for name, parent, _ in rows[1:]:
        assert parent is not None and issubclass(resolve(name), resolve(parent)), (name, parent)
        assert resolve(parent) in resolve(name).__mro__[1:3], f"{name} is drawn under {parent}"
    drawn = {resolve(name) for name, _, _ in rows}
    public = {c for c in every_subclass(errors.PodiumError) if not c.__name__.startswith("_")}
    missing = sorted(c.__name__ for c in public - drawn)
    assert not missing, f"classes not in the drawing: {missing}"


def test_retryable_and_run_stopping_marks_match_the_classes():
    for name, parent, note in drawn_tree():
        cls = resolve(name)
        if note == "retried":
            assert cls.retryable
        if note == "not retried":
            assert not cls.retryable
        if name == "RunStopped" or parent == "RunStopped":
            assert cls.run_stopping, name
        else:
            assert not cls.run_stopping, name
    assert error_types.RUN_STOPPING == {
        "BudgetExceeded",
        "DeadlineExceeded",
        "RunAborted",
        "UngatedSideEffect",
    }


def test_every_leaf_is_explained_in_docs_errors_md():
    text = (ROOT / "docs" / "errors.md").read_text()
    rows = drawn_tree()
    parents = {parent for _, parent, _ in rows}
    leaves = [name for name, _, _ in rows if name not in parents]
    unexplained = [name for name in leaves if f"`{name}`" not in text]
    assert not unexplained, f"docs/errors.md does not explain {unexplained}"


def test_a_run_failure_comes_back_as_its_class_with_typed_details():
    raised = errors.StepBudgetExceeded.failure("step 'a' is over its budget", step="a")
    assert raised.type == "StepBudgetExceeded" and raised.non_retryable
    back = error_types.from_failure(raised)
    assert isinstance(back, errors.StepBudgetExceeded) and isinstance(back, errors.StepError)
    assert back.failure_details is not None and back.failure_details.step == "a"
    call = errors.ProviderRateLimited("HTTP 429", retry_after=2.0, status=429)
    again = error_types.from_failure(call.to_application_error())
    assert isinstance(again, errors.ProviderRateLimited) and again.retryable
    assert again.failure_details is not None and again.failure_details.status == 429
