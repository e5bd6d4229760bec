"""`podium eval --record` keeps a real model's, a tool's and a judge's answers (llmock on
loopback, a function tool); `--replay` answers every call from them — no request reaches
the model, the tool is not run, the results are the same — and flags the calls a changed
prompt or input makes that no recording answers. Both on their own embedded server."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from podium.starters.commands import eval as eval_command

from tests.conftest import MockLLM

CALLS_VAT = {
    "type": "reply",
    "tool_calls": [{"name": "vat", "arguments": {"country": "TH", "amount": 10700}}],
}
ANSWER = {"type": "reply", "text": "The VAT on 10,700 THB is 749 THB."}
SCORE = {"type": "reply", "text": '{"score": 0.8, "reason": "states the VAT"}'}


def write_files(folder: Path, llm_url: str, instructions: str = "Quote the VAT.") -> Path:
    catalog = {
        "providers": {"mock": {"base_url": f"{llm_url}/v1"}},
        "tools": {
            "vat": {"description": "VAT on an amount", "function": "tests.support.tools:vat"}
        },
        "agents": {
            "writer": {"model": "mock:gpt-4o-mini", "instructions": instructions, "tools": ["vat"]},
            "judge": {"model": "mock:gpt-4o-mini", "instructions": "Score the answer."},
        },
    }
    spec = {
        "name": "recorded",
        "agents": "agents.yaml",
        "input": {"type": "object", "properties": {"country": {"type": "string"}}},
        "steps": [{"id": "write", "agent": "writer", "with": {"country": "input.country"}}],
        "output": "steps.write.output",
    }
    suite = {
        "spec": "spec.yaml",
        "judges": "agents.yaml",
        "cassette": "tape.jsonl",
        "defaults": {"concurrency": 1, "timeout": "1m"},
        "cases": [
            {
                "name": "thai vat",
                "input": {"country": "TH"},
                "expect": {
                    "output": [{"jmespath": "output", "contains": "749 THB"}],
                    "trajectory": {
                        "agents": ["writer", "writer"],
                        "tools": ["vat"],
                        "order": "exact",
                    },
                    "judge": [{"agent": "judge", "rubric": "states the VAT", "min_score": 0.5}],
                },
            }
        ],
    }
    for name, data in (("agents.yaml", catalog), ("spec.yaml", spec), ("suite.yaml", suite)):
        (folder / name).write_text(yaml.safe_dump(data, sort_keys=False))
    return folder / "suite.yaml"


async def evaluate(suite: Path, **options) -> tuple[int, str, dict]:
    out = io.StringIO()
    results = suite.parent / "results.json"
    code = await eval_command.main(
        None, suite=str(suite), out=out, json_path=str(results), **options
    )
    [case] = json.loads(results.read_text())["cases"]
    return code, out.getvalue(), case


def tool_calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.mark.slow
async def test_a_recording_replays_offline_and_flags_what_changed(
    tmp_path, mock_llm: MockLLM, tool_log
):
    suite = write_files(tmp_path, mock_llm.url)
    mock_llm.queue(CALLS_VAT, ANSWER, SCORE)
    code, out, recorded = await evaluate(suite, record="")
    assert code == 0, out
    assert f"recorded into {tmp_path / 'tape.jsonl'}" in out
    assert len(mock_llm.requests()) == 3  # two turns of the writer, the judge
    assert [c["tool"] for c in tool_calls(tool_log)] == ["vat"]
    tape = [json.loads(line) for line in (tmp_path / "tape.jsonl").read_text().splitlines()]
    assert [(e["kind"], e["name"]) for e in tape] == [
        ("agent", "writer"),
        ("tool", "vat"),
        ("agent", "writer"),
        ("agent", "judge"),
    ]

    mock_llm.reset()
    code, out, replayed = await evaluate(suite, replay="")
    assert code == 0, out
    assert mock_llm.requests() == []  # offline: no model was asked
    assert len(tool_calls(tool_log)) == 1  # nor the tool run again
    assert replayed["passed"] and replayed["unrecorded"] == []
    assert replayed["cost_usd"] == recorded["cost_usd"] and replayed["tokens"] == recorded["tokens"]
    assert replayed["judges"][0]["score"] == 0.8 == recorded["judges"][0]["score"]

    write_files(tmp_path, mock_llm.url, instructions="Quote the VAT, politely.")
    code, out, changed = await evaluate(suite, replay=str(tmp_path / "tape.jsonl"))
    assert code == 1 and mock_llm.requests() == []
    assert changed["unrecorded"] == [
        "agent 'writer' at step 'write': its instructions or output schema differ from every "
        "recording"
    ]
    assert "unrecorded: agent 'writer' at step 'write'" in out
    assert (
        "ProviderNotConfigured: no recording answers agent 'writer'"
        in changed["checks"][0]["detail"]
    )

    write_files(tmp_path, mock_llm.url)
    text = (tmp_path / "suite.yaml").read_text().replace("country: TH", "country: SG")
    (tmp_path / "suite.yaml").write_text(text)
    code, out, other = await evaluate(suite, replay="")
    assert code == 1
    assert other["unrecorded"] == [
        "agent 'writer' at step 'write': its inputs differ from every recording"
    ]


async def test_nothing_to_replay_is_refused_before_anything_starts(tmp_path, capsys):
    suite = write_files(tmp_path, "http://127.0.0.1:9")
    out = io.StringIO()
    code = await eval_command.main(None, suite=str(suite), out=out, replay="")
    assert code == 2
    err = capsys.readouterr().err
    assert f"no recording at {tmp_path / 'tape.jsonl'}: make one first" in err
