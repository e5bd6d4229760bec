"""Payload stores end to end, with real worker processes: S3 (moto's S3 server on
loopback), a store that goes down mid-run (the run waits and loses nothing), and a worker
with no store (an oversized value fails its step at once, naming step, size and setting —
never a workflow task retried for ever)."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer
from podium.activities.error_types import from_failure
from podium.activities.errors import AnswerTooLarge, PayloadTooLarge
from podium.activities.payloads.converter import data_converter
from podium.activities.payloads.settings import PayloadSettings
from podium.compiler.spec_compiler import compile_spec
from podium.starters.devserver import free_port, stop_process
from podium.starters.launch import start_run
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle

from tests.conftest import ISOLATED_NAMESPACE
from tests.support.polling import eventually
from tests.support.worker_process import start_worker, wait_for
from tests.test_large_payloads import AGENTS, THREE_OUTPUTS, history_bytes

BUCKET = "podium-payloads"
AWS = {
    "AWS_ACCESS_KEY_ID": "testing",  # moto accepts any credentials
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadedMotoServer]:
    for name, value in AWS.items():
        monkeypatch.setenv(name, value)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    boto3.client("s3", endpoint_url=f"http://{host}:{port}").create_bucket(Bucket=BUCKET)
    yield server
    server.stop()


def endpoint(server: ThreadedMotoServer) -> str:
    host, port = server.get_host_and_port()
    return f"http://{host}:{port}"


def s3_environment(server: ThreadedMotoServer) -> dict[str, str]:
    """What a worker process needs to use the bucket."""
    return {"PODIUM_PAYLOAD_STORE": f"s3://{BUCKET}", "PODIUM_S3_ENDPOINT": endpoint(server)}


async def s3_client(address: str, server: ThreadedMotoServer) -> Client:
    """A client on the isolated namespace storing large payloads in the bucket."""
    settings = PayloadSettings(store=f"s3://{BUCKET}", s3_endpoint=endpoint(server))
    return await Client.connect(
        address, namespace=ISOLATED_NAMESPACE, data_converter=data_converter(settings)
    )


def objects(server: ThreadedMotoServer) -> list[str]:
    listing = boto3.client("s3", endpoint_url=endpoint(server)).list_objects_v2(Bucket=BUCKET)
    return [item["Key"] for item in listing.get("Contents", [])]


async def test_s3_store_keeps_outputs_out_of_history(s3, address, tmp_path, write_spec):
    settings = s3_environment(s3)
    worker = start_worker(address, tmp_path / "w.log", ISOLATED_NAMESPACE, env=settings)
    try:
        client = await s3_client(address, s3)
        handle = await start_run(client, compile_spec(write_spec(THREE_OUTPUTS)), {})
        result = await handle.result()
        assert result.output == {"a": 700_000, "b": 700_000, "c": 700_000}
        total, largest = await history_bytes(client, handle.id)
        assert largest < 20_000 and total < 200_000, (total, largest)
        keys = objects(s3)
        assert keys and all(handle.id in key for key in keys), keys  # named by run
        assert "payload store: s3://podium-payloads" in (tmp_path / "w.log").read_text()
    finally:
        stop_process(worker)


async def test_a_store_that_goes_down_mid_run_loses_nothing(s3, address, tmp_path, write_spec):
    settings = s3_environment(s3)
    log = tmp_path / "w.log"
    worker = start_worker(address, log, ISOLATED_NAMESPACE, env=settings)
    try:
        client = await s3_client(address, s3)
        s3.stop()  # the store is down before the first big answer is stored
        handle = await start_run(client, compile_spec(write_spec(THREE_OUTPUTS)), {})
        await wait_for(
            lambda: "the S3 payload store" in log.read_text(), 30, "the store error in the log"
        )
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        assert "S3StorageDriver store failed" in log.read_text()  # bucket, key, endpoint
        s3.start()  # back: Temporal's retries carry the run on
        result = await handle.result()
        assert result.output == {"a": 700_000, "b": 700_000, "c": 700_000}
    finally:
        stop_process(worker)


@pytest.fixture
async def bare(address, tmp_path) -> Iterator[Client]:
    """A worker process and a client with no payload store (Temporal's 2 MB limit)."""
    worker = start_worker(
        address, tmp_path / "w.log", ISOLATED_NAMESPACE, env={"PODIUM_PAYLOAD_STORE": "none"}
    )
    try:
        yield await Client.connect(
            address, namespace=ISOLATED_NAMESPACE, data_converter=data_converter(PayloadSettings())
        )
    finally:
        stop_process(worker)


async def failure_of(client: Client, spec: dict, write_spec) -> Exception:
    handle = await start_run(client, compile_spec(write_spec(spec)), {})
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    return from_failure(info.value)


async def test_without_a_store_an_oversized_input_fails_its_step_at_once(bare, write_spec):
    error = await failure_of(bare, THREE_OUTPUTS, write_spec)
    assert isinstance(error, PayloadTooLarge)
    text = str(error)
    assert "step 'sizes'" in text and "2.0 MB" in text and "PODIUM_PAYLOAD_STORE" in text


async def test_without_a_store_a_3mb_answer_fails_once_not_retried(bare, write_spec):
    spec = {
        "name": "one_huge_answer",
        "agents": AGENTS,
        "steps": [{"id": "big", "agent": "blob", "with": {"size": 3_000_000}}],
    }
    error = await failure_of(bare, spec, write_spec)
    assert "AnswerTooLarge" in str(error) and "step 'big'" in str(error), error
    assert "2.9 MB" in str(error) and "PODIUM_PAYLOAD_STORE" in str(error)
    assert AnswerTooLarge.retryable is False


async def test_without_a_store_a_result_over_the_limit_fails_the_run_clearly(bare, write_spec):
    spec = {
        "name": "big_result",
        "agents": AGENTS,
        "steps": [{"id": "big", "agent": "blob", "with": {"size": 1_100_000}}],
        "output": "steps.big.output",
    }
    error = await failure_of(bare, spec, write_spec)
    assert isinstance(error, PayloadTooLarge)
    assert "the run's result" in str(error) and "PODIUM_PAYLOAD_STORE" in str(error)


def test_moto_is_on_loopback_only():
    assert not any(k.startswith("AWS_ENDPOINT") for k in os.environ)


async def waiting_for_the_store(client: Client, handle: WorkflowHandle) -> str | None:
    """What the run's pending agent call says it waits for, once it has waited 3 s for
    the payload store on its first attempt (None before)."""
    description = await handle.describe()
    for pending in description.raw_description.pending_activities:
        details = pending.heartbeat_details.payloads
        said = (await client.data_converter.decode(details))[0] if details else ""
        waited = re.search(r"waiting for the payload store \((\d+) s so far\)", str(said))
        if waited and int(waited.group(1)) >= 3 and pending.attempt == 1:
            return str(said)
    return None


async def test_a_store_down_after_the_answer_keeps_it_waiting_on_the_worker_paid_once(
    address, tmp_path, write_spec
):
    """The store goes down between the provider's answer and its storing, for longer than
    the call's heartbeat timeout (1 s): the answer waits on the worker, which says what it
    waits for, and the provider is called once (it was called on every retry, then the
    step failed with HeartbeatTimeout)."""
    store, journal, log = tmp_path / "store", tmp_path / "calls.log", tmp_path / "w.log"
    hold = journal.with_name(journal.name + ".hold")
    store.mkdir()
    hold.touch()
    agent = {"model": "function:tests.support.agents:blob_once_let", "heartbeat": "1s"}
    spec = {
        "name": "big_answer",
        "agents": {"agents": {"blob": agent}},
        "steps": [
            {"id": "a", "agent": "blob", "with": {"size": 300_000, "journal": f"'{journal}'"}}
        ],
        "output": "steps.a.output.size",
    }
    worker = start_worker(
        address, log, ISOLATED_NAMESPACE, env={"PODIUM_PAYLOAD_STORE": f"file:{store}"}
    )
    try:
        settings = PayloadSettings(store=f"file:{store}")
        client = await Client.connect(
            address, namespace=ISOLATED_NAMESPACE, data_converter=data_converter(settings)
        )
        handle = await start_run(client, compile_spec(write_spec(spec)), {})
        await wait_for(journal.exists, 30, "the provider's call")
        away = store.with_name("store.away")
        store.rename(away)
        store.write_text("the store is down")  # a file where its folder was
        hold.unlink()  # the provider answers
        said = await eventually(
            lambda: waiting_for_the_store(client, handle), "the call to wait 3 s for the store"
        )
        store.unlink()
        away.rename(store)  # back
        assert (await handle.result()).output == 300_000
    finally:
        stop_process(worker)
    assert "kept on this worker: cannot write a" in said and str(store) in said
    assert journal.read_text().count("called") == 1  # the provider was paid once
    assert "waiting for the payload store" in log.read_text()
