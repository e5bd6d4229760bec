"""Workflow code reads time, randomness and the environment only through
``temporalio.workflow``, does no I/O, starts no thread, keeps no module state and never
depends on set order: ``compiler.determinism`` over everything in ``workflows/`` (and
the ``activities/`` helpers it calls), and over the registered step kinds.

Podium's workers run its workflows outside temporalio's sandbox (``PodiumWorkerConfig``)
— and even inside it, Podium's modules are passed through, so the sandbox never saw a
``datetime.now()`` in them. This is the check that reaches them; the replay guard
(``tests/test_replay.py``) catches what changes a run's commands or their inputs. (Running
them in the sandbox: ``tests/workers/test_plugin_worker.py``, ``tests/test_public_api.py``.)"""

from __future__ import annotations

import pytest
from podium.compiler.determinism import check_kind, check_module, check_source
from podium.workers.config import PASSTHROUGH
from podium.workflows.kinds.all import BUILT_IN

from tests.conftest import ROOT

WORKFLOW_MODULES = [
    "podium." + ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for p in sorted((ROOT / "workflows").rglob("*.py"))
]


def test_workflow_code_is_deterministic():
    assert len(WORKFLOW_MODULES) > 40  # the scan did find the workflow code
    problems = [str(f) for m in WORKFLOW_MODULES for f in check_module(m)]
    assert not problems, "non-deterministic code in workflows:\n" + "\n".join(problems)


PACKAGE_FOLDERS = ("podium", "activities", "compiler", "workflows", "workers", "starters")
"""The folders installed as the ``podium`` package (pyproject.toml's package-dir)."""


def test_no_module_passes_its_imports_through_the_sandbox_by_hand():
    """A sandboxed worker (``PodiumPlugin``, ``podium worker --sandbox``) passes the whole
    ``podium`` package through, so Podium's modules are imported on the host, outside the
    sandbox, where ``workflow.unsafe.imports_passed_through()`` does nothing; ``podium
    worker`` runs no sandbox at all."""
    assert "podium" in PASSTHROUGH  # the premise: were it dropped, these blocks would matter
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in PACKAGE_FOLDERS
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "imports_passed_through" in line
    ]
    assert not found, (
        "workflow.unsafe.imports_passed_through() does nothing in Podium's own modules: "
        "every sandbox Podium configures passes the podium package through "
        "(workers/config.py PASSTHROUGH), so import plainly:\n" + "\n".join(found)
    )


@pytest.mark.parametrize("kind", BUILT_IN, ids=[k.name for k in BUILT_IN])
def test_every_built_in_kind_is_deterministic(kind):
    assert not check_kind(kind)


PROBE = """\
import datetime as dt
import time as t
import threading
from uuid import uuid4 as u
from datetime import datetime as D
import secrets
_seen = {}

def f(path, names):
    global _seen
    a = dt.datetime.now(), t.monotonic(), u(), D.utcnow(), secrets.token_hex(4)
    b = getattr(t, "time")(), hash("x"), path.read_text(), open("x")
    for name in set(names):
        pass
    return [n for n in {1, 2} | set(names)]
"""


def test_the_check_sees_through_aliases_getattr_hash_sets_globals_and_threads():
    found = [f"{f.line}: {f.what}" for f in check_source(PROBE, "probe.py")]
    assert found == [
        "3: import threading",
        "10: global _seen",
        "11: datetime.datetime.now",
        "11: datetime.datetime.utcnow",
        "11: secrets.token_hex",
        "11: time.monotonic",
        "11: uuid.uuid4",
        "12: .read_text()",
        "12: getattr → time.time",
        "12: hash()",
        "12: open()",
        "13: iterating a set",
        "15: iterating a set",
    ]


def test_the_check_follows_the_activity_helpers_a_workflow_calls(tmp_path, monkeypatch):
    helper = tmp_path / "podium_probe_helper.py"
    helper.write_text("import os\n\ndef region():\n    return os.environ['REGION']\n")
    user = tmp_path / "podium_probe_kind.py"
    user.write_text("from podium_probe_helper import region\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    # only podium.activities helpers are followed; a user kind's own import is refused
    assert [f.what for f in check_module("podium_probe_kind")] == ["import podium_probe_helper"]
