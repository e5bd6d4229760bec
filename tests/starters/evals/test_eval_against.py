"""`podium eval --against REF`: the suite's cases run on the spec as committed at REF and
as it is now; the output says which got worse (exit 1), which better, which judge scores
moved — live on the workers, or replayed from a recording of the current version."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
import yaml
from podium.starters.commands import eval as eval_command

pytestmark = pytest.mark.usefixtures("worker")


def catalog(greeting: str, instructions: str = "Greet.") -> dict:
    return {
        "agents": {
            "writer": {
                "model": "scripted",
                "instructions": instructions,
                "script": [{"output": f"{greeting} {{{{ name }}}}"}],
            },
            "scorer": {
                "model": "scripted",
                "script": [
                    {
                        "when": "contains(answer, 'hello')",
                        "output": {"score": 0.9, "reason": "warm"},
                    },
                    {"output": {"score": 0.4, "reason": "cold"}},
                ],
            },
        }
    }


SPEC = {
    "name": "greeting",
    "agents": "agents.yaml",
    "input": {"type": "object", "properties": {"name": {"type": "string"}}},
    "steps": [{"id": "greet", "agent": "writer", "with": {"name": "input.name"}}],
    "output": "steps.greet.output",
}
SUITE = {
    "spec": "spec.yaml",
    "cases": [
        {
            "name": "says hello",
            "input": {"name": "Ana"},
            "expect": {
                "output": [{"jmespath": "output", "contains": "hello"}],
                "judge": [{"agent": "scorer", "rubric": "warm", "min_score": 0.1}],
            },
        },
        {
            "name": "says bye",
            "input": {"name": "Ana"},
            "expect": {"output": [{"jmespath": "output", "contains": "bye"}]},
        },
    ],
}


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def repository(folder: Path) -> Path:
    """A repository whose committed writer says hello; the working tree's says bye."""
    git(folder, "init", "-q")
    for name, data in (
        ("agents.yaml", catalog("hello")),
        ("spec.yaml", SPEC),
        ("suite.yaml", SUITE),
    ):
        (folder / name).write_text(yaml.safe_dump(data, sort_keys=False))
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "hello")
    (folder / "agents.yaml").write_text(yaml.safe_dump(catalog("bye", "Say goodbye.")))
    return folder / "suite.yaml"


async def test_what_got_better_or_worse_since_a_commit(client, tmp_path):
    suite = repository(tmp_path)
    commit = git(tmp_path, "rev-parse", "--short", "HEAD")
    out = io.StringIO()
    code = await eval_command.main(client, suite=str(suite), against="HEAD", out=out)
    text = out.getvalue()
    assert code == 1, text  # a regression
    assert f"regressions (passed at HEAD ({commit}), fail now): says hello" in text
    assert f"improvements (failed at HEAD ({commit}), pass now): says bye" in text
    assert f"judge scores moved since HEAD ({commit}): says hello: scorer 0.90 → 0.40" in text
    assert "[1/2] " in text and "suite@HEAD" not in text  # both versions ran
    assert "output: bye {{ name }}" in (tmp_path / "agents.yaml").read_text()  # untouched
    assert git(tmp_path, "status", "--porcelain") == "M agents.yaml"


async def test_against_a_recording_flags_what_the_old_version_asks(client, tmp_path):
    suite = repository(tmp_path)
    out = io.StringIO()
    assert await eval_command.main(None, suite=str(suite), record="", out=out) == 1  # bye fails
    out = io.StringIO()
    code = await eval_command.main(None, suite=str(suite), replay="", against="HEAD", out=out)
    text = out.getvalue()
    assert code == 0, text  # nothing that passed at HEAD fails now
    assert "improvements (failed at HEAD" in text and "says bye" in text
    assert "replayed from" in text


async def test_an_unknown_ref_is_refused(client, tmp_path, capsys):
    suite = repository(tmp_path)
    code = await eval_command.main(client, suite=str(suite), against="no-such-branch")
    assert code == 2
    assert "--against no-such-branch: no such commit, branch or tag" in capsys.readouterr().err
