"""Which keys of a spec step belong to which kind of step — read from the compiler, so a
kind registered besides the built-ins (``workflows.kinds.base.register``) gets its form
without a change here.

Every kind has the keys every plan node has (``NodeBase``: id, description, when,
optional, needs, on_error, escalate_to, budget, deadline). Its own keys are those its
compilation reads: each ``step.<key>`` in the module of its builder
(``compiler.kinds.builder_of``), and ``with`` when it hands the step to
``StepGraph.inputs`` (which reads ``step.with_``); a registered kind also has its
``spec_key``.
"""

from __future__ import annotations

import ast
import functools
import inspect
from collections.abc import Mapping
from typing import Any

import podium.workflows.plan  # noqa: F401 - registers the built-in kinds
from podium.compiler.kinds import builder_of
from podium.compiler.spec import StepEntry
from podium.workflows.kinds.base import KINDS, NodeBase

SEQUENCE = "steps"
"""A parallel branch written as a sequence (``{id, steps: [...]}``): a kind of its own in a
spec, though no plan node has it."""


def _key(field_name: str) -> str:
    """The YAML key of a ``StepEntry`` field (``with_`` → ``with``)."""
    return StepEntry.model_fields[field_name].alias or field_name


COMMON = tuple(
    _key(name)
    for name in StepEntry.model_fields
    if name in NodeBase.model_fields and name != "kind"
)
"""The keys every kind of step has."""


@functools.cache
def _read_in(module_name: str) -> frozenset[str]:
    """The ``StepEntry`` keys the code of module ``module_name`` reads from ``step``."""
    try:
        tree = ast.parse(inspect.getsource(__import__(module_name, fromlist=["_"])))
    except (OSError, TypeError, SyntaxError):  # no source (a frozen app): every key
        return frozenset(_key(name) for name in StepEntry.model_fields)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_step(node.value):
            found.add(node.attr)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "inputs"
            and any(_is_step(arg) for arg in node.args)
        ):
            found.add("with_")
    return frozenset(_key(name) for name in found if name in StepEntry.model_fields)


def _is_step(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "step"


def kind_keys() -> dict[str, tuple[str, ...]]:
    """Each kind's own keys (besides ``COMMON``), in the schema's order, by kind name."""
    order = [_key(name) for name in StepEntry.model_fields]
    out: dict[str, tuple[str, ...]] = {}
    for name, kind in KINDS.items():
        builder = builder_of(kind)
        read = set(_read_in(builder.__module__)) - set(COMMON)
        extra = [kind.spec_key] if kind.spec_key and kind.spec_key not in order else []
        out[name] = (*sorted(read, key=order.index), *extra)
    out[SEQUENCE] = (SEQUENCE,)
    return out


def selecting_keys() -> dict[str, str]:
    """The keys that make a step some kind → that kind's name (``capability`` → agent)."""
    out = {"agent": "agent", "capability": "agent", SEQUENCE: SEQUENCE}
    for name, kind in KINDS.items():
        out.setdefault(kind.spec_key or name, name)
    return out


def step_kind(step: Mapping[str, Any]) -> str | None:
    """The kind of a spec step (a mapping as in the YAML); None if it names none."""
    selecting = selecting_keys()
    return next((selecting[key] for key in step if key in selecting), None)
