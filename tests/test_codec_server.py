"""``podium codec-server`` over real HTTP: what the Web UI sends it, what it answers."""

from __future__ import annotations

import json

import httpx
import pytest
from google.protobuf import json_format
from podium.activities.payloads.converter import data_converter
from podium.activities.payloads.settings import PayloadSettings, from_environment, new_key
from podium.starters.codec_server import CodecServer
from podium.starters.devserver import free_port
from temporalio.api.common.v1 import Payloads

UI = "http://localhost:8233"


@pytest.fixture
def settings(tmp_path) -> PayloadSettings:
    keys = from_environment({"PODIUM_ENCRYPTION_KEYS": new_key("k1")}).keys
    return PayloadSettings(store=f"file:{tmp_path}", threshold=1024, keys=keys)


@pytest.fixture
def server(settings):
    codec = CodecServer(settings, port=free_port(), origins=[UI]).start()
    yield codec
    codec.stop()


def body(payloads) -> bytes:
    return json_format.MessageToJson(Payloads(payloads=payloads)).encode()


async def test_decodes_encrypted_and_stored_payloads_for_the_ui(server, settings):
    converter = data_converter(settings)
    payloads = await converter.encode(["small secret", "big secret " * 500])
    assert b"secret" not in b"".join(p.SerializeToString() for p in payloads)
    reply = httpx.post(
        f"{server.url}/decode?preserveStorageRefs=true",
        content=body(payloads),
        headers={"Origin": UI, "Content-Type": "application/json", "X-Namespace": "default"},
    )
    assert reply.status_code == 200
    assert reply.headers["Access-Control-Allow-Origin"] == UI
    decoded = json_format.Parse(reply.content, Payloads()).payloads
    values = [json.loads(p.data) for p in decoded]
    assert values == ["small secret", "big secret " * 500]


async def test_encode_then_decode_round_trips(server):
    plain = await data_converter(PayloadSettings()).encode([{"answer": "canary-7f3a"}])
    sealed = httpx.post(f"{server.url}/encode", content=body(plain))
    assert b"canary-7f3a" not in sealed.content  # ('-' is not in base64's alphabet)
    opened = httpx.post(f"{server.url}/decode", content=sealed.content)
    [payload] = json_format.Parse(opened.content, Payloads()).payloads
    assert json.loads(payload.data) == {"answer": "canary-7f3a"}


def test_other_origins_get_no_cors_and_bad_requests_a_clear_error(server, settings):
    preflight = httpx.options(f"{server.url}/decode", headers={"Origin": "http://evil.test"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    wrong = httpx.post(f"{server.url}/decode", content=b"not json")
    assert wrong.status_code == 400 and "error" in wrong.json()
    assert httpx.post(f"{server.url}/other", content=b"{}").status_code == 404


async def test_a_payload_under_a_key_it_lacks_is_named(server):
    other = from_environment({"PODIUM_ENCRYPTION_KEYS": new_key("k0")})
    sealed = await data_converter(other).encode(["old"])
    reply = httpx.post(f"{server.url}/decode", content=body(sealed))
    assert reply.status_code == 400
    assert "key 'k0', which this process does not have" in reply.json()["error"]
