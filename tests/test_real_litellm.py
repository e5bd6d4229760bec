"""Against a real third-party OpenAI-compatible server: LiteLLM's proxy on loopback, no
network, its models mocked in its own config (``mock_response``;
shared/docs/REAL-MODELS.md). A followed run streams its agent's text through the proxy:
in pieces, before the step completes, assembling to exactly the step's output, with the
proxy's token counts. A mocked ``InternalServerError`` is retried as the error tree says
and leaves no text behind. A model behind the proxy that breaks off mid-answer (the
loopback stream server, which LiteLLM relays as an error chunk) has its text retracted
and the retry's text streamed once.

``litellm[proxy]`` cannot share the dev venv: it needs boto3 >= 1.43 (aioboto3, the S3
store's tests, pins botocore 1.40) and takes cryptography < 51, websockets < 16 and
rich < 14 down with it. So it lives in a venv of its own, and these tests run where it is:

    python -m venv /work/.cache/litellm-venv
    /work/.cache/litellm-venv/bin/pip install 'litellm[proxy]'
    PODIUM_LITELLM=/work/.cache/litellm-venv/bin/litellm pytest tests/test_real_litellm.py

(a ``litellm`` beside the interpreter running the tests is used as well).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from podium.activities.providers.prompt import estimate_tokens
from podium.compiler.spec_compiler import compile_spec
from podium.starters.devserver import free_port, stop_process
from podium.starters.launch import start_run
from podium.workflows.state import RunState
from temporalio.client import WorkflowFailureError

from tests.support.following import Follower
from tests.support.polling import eventually_sync
from tests.support.stream_server import TEXT, StreamServer, stream_server, tokens

LITELLM = os.environ.get("PODIUM_LITELLM") or shutil.which(
    "litellm", path=str(Path(sys.executable).parent)
)
pytestmark = [
    pytest.mark.usefixtures("worker"),
    pytest.mark.skipif(
        not LITELLM, reason="set PODIUM_LITELLM to a litellm[proxy] install (see the docstring)"
    ),
]

MASTER_KEY = "sk-podium-litellm-5521"
KEY_ENV = "PODIUM_LITELLM_KEY"
ANSWER = "Dear Siti, your parcel left our warehouse this morning and should reach you on Friday."
FAST = {"initial_interval": "50ms", "max_interval": "200ms", "max_attempts": 2}


@pytest.fixture(scope="module")
def upstream() -> Iterator[StreamServer]:
    """A model behind the proxy that breaks off its first answer after 8 tokens."""
    with stream_server(fail="cut", fail_after=8) as server:
        yield server


@pytest.fixture(scope="module")
def litellm(tmp_path_factory: pytest.TempPathFactory, upstream: StreamServer) -> Iterator[str]:
    """The proxy's base URL (``…/v1``): model ``writer`` answers ANSWER, ``broken`` with
    HTTP 500 (its mocked ``InternalServerError``), ``relay`` is ``upstream``'s."""
    assert LITELLM
    home = tmp_path_factory.mktemp("litellm")
    models = {
        "writer": {"model": "openai/writer", "mock_response": ANSWER},
        "broken": {"model": "openai/broken", "mock_response": "litellm.InternalServerError"},
        "relay": {"model": "openai/relay", "api_base": upstream.url, "api_key": "-"},
    }
    config = {
        "model_list": [{"model_name": n, "litellm_params": p} for n, p in models.items()],
        "litellm_settings": {"num_retries": 0},
        "router_settings": {"num_retries": 0, "disable_cooldowns": True},
        "general_settings": {"master_key": MASTER_KEY},
    }
    (home / "config.yaml").write_text(yaml.safe_dump(config))
    port = free_port()
    command = [LITELLM, "--config", str(home / "config.yaml")]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}  # (else it fetches it)
    log = home / "proxy.log"
    with log.open("w") as out:
        proxy = subprocess.Popen(
            command, cwd=home, env=env, stdout=out, stderr=out, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:

        def serving() -> bool:
            try:
                if httpx.get(f"{url}/health/liveliness", timeout=2).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            assert proxy.poll() is None, f"the LiteLLM proxy died: {log.read_text()[-2000:]}"
            return False

        eventually_sync(serving, "the LiteLLM proxy to start", timeout=90, every=0.25)
        yield f"{url}/v1"
    finally:
        stop_process(proxy, grace_s=5)


def spec(url: str, model: str) -> tuple[dict, dict]:
    catalog = {
        "providers": {"mock": {"base_url": url, "api_key_env": KEY_ENV, "circuit": False}},
        "agents": {"writer": {"model": f"mock:{model}", "retry": FAST}},
    }
    steps = [{"id": "reply", "agent": "writer", "with": {"message": "input.message"}}]
    return {"name": "through_litellm", "agents": "agents.yaml", "steps": steps}, catalog


async def follow(client, write_spec, url: str, model: str):
    plan = compile_spec(write_spec(*spec(url, model)))
    handle = await start_run(client, plan, {"message": "where is my parcel?"}, follow=True)
    return handle, Follower(client, handle.id)


def streamed_usage(url: str) -> dict:
    """The usage the proxy reports at the end of a stream of the writer's answer."""
    body = {"model": "writer", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    body["stream_options"] = {"include_usage": True}
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    response = httpx.post(f"{url}/chat/completions", json=body, headers=headers, timeout=30)
    chunks = [line[5:].strip() for line in response.text.splitlines() if line.startswith("data:")]
    [usage] = [json.loads(c)["usage"] for c in chunks if c != "[DONE]" and '"usage"' in c]
    return usage


@pytest.fixture(autouse=True)
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, MASTER_KEY)


async def test_an_answer_streams_through_the_proxy_in_pieces(client, litellm, write_spec):
    handle, run = await follow(client, write_spec, litellm, "writer")
    result = await handle.result()
    await run.ended()
    step = result.state.step("reply")
    [call] = run.calls("reply")
    assert run.assembled(call) == step.output == ANSWER
    assert not run.of("text.retract"), "nothing failed: nothing is taken back"
    # the mock streams 3 characters a chunk, spaced out a little: the first goes out
    # alone, the rest in batches (50 ms or 20 chunks) — all before the step completed
    deltas = run.of("text.delta", "reply")
    [completed] = run.of("step.completed", "reply")
    assert len(deltas) > 1 and all(d.offset < completed.offset for d in deltas)
    assert deltas[0].text == "Dea"
    # the proxy's own count (its usage chunk, asked for by include_usage), not an estimate
    assert step.usage.output_tokens == streamed_usage(litellm)["completion_tokens"]
    assert step.usage.output_tokens != estimate_tokens(ANSWER)
    assert step.usage.input_tokens > 0 and step.model == "writer"


async def test_a_mocked_internal_server_error_is_retried_and_leaves_no_text(
    client, litellm, write_spec
):
    handle, run = await follow(client, write_spec, litellm, "broken")
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    await run.ended()
    message = info.value.cause.message
    assert "ProviderServerError" in message and "HTTP 500" in message
    assert "mock internal server error" in message
    state = await handle.query("status", result_type=RunState)
    assert state.steps[0].error_type == "ProviderServerError"
    assert state.steps[0].attempts == 2, "a 5xx is retried up to retry.max_attempts"
    [failed] = run.of("step.failed", "reply")
    assert failed.data["error_type"] == "ProviderServerError"
    [call] = run.calls("reply")
    takes = run.takes(call)
    assert len(takes) == 2 and all(t.retracted for t in takes), "each attempt taken back"
    assert run.assembled(call) == ""


async def test_an_answer_broken_off_behind_the_proxy_is_retracted_and_retried(
    client, litellm, upstream, write_spec
):
    handle, run = await follow(client, write_spec, litellm, "relay")
    result = await handle.result()
    await run.ended()
    assert [e.outcome for e in upstream.entries()] == ["cut", "ok"]
    output = result.state.step("reply").output
    [call] = run.calls("reply")
    assert run.assembled(call) == output == TEXT
    broken, retried = run.takes(call)
    assert broken.retracted and not retried.retracted
    assert broken.text and "".join(tokens(TEXT)[:8]).startswith(broken.text)
    assert retried.text == output, "the retry's text: each delta once, none lost"
    [attempt] = {e.attempt for e in run.of("text.retract") if e.call == call}
    assert attempt == 1 and result.state.step("reply").attempts == 2
