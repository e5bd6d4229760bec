"""Payload settings, encryption and the file store, without a server: what a user sets,
what they read when it is wrong (never a key), and key rotation."""

from __future__ import annotations

import base64
import datetime
import os
import re

import pytest
from podium.activities.errors import PayloadStoreError
from podium.activities.payloads.codec import EncryptionCodec, UnknownEncryptionKey
from podium.activities.payloads.converter import data_converter
from podium.activities.payloads.file_store import FileStore
from podium.activities.payloads.settings import (
    DEFAULT_THRESHOLD,
    PayloadSettings,
    PayloadSettingsError,
    from_environment,
    new_key,
)
from temporalio.converter import StorageDriverClaim, StorageDriverRetrieveContext


def key(tag: str = "k1") -> tuple[str, str]:
    raw = os.urandom(32)
    return tag, f"{tag}:{base64.b64encode(raw).decode()}"


def test_defaults_are_inline_and_unencrypted():
    settings = from_environment({})
    assert settings == PayloadSettings(store=None, threshold=DEFAULT_THRESHOLD)
    assert data_converter(settings).external_storage is None


def test_stores_and_thresholds_are_read(tmp_path):
    assert from_environment({"PODIUM_PAYLOAD_STORE": str(tmp_path)}).store == f"file:{tmp_path}"
    assert from_environment({"PODIUM_PAYLOAD_STORE": "s3://my-bucket/"}).store == "s3://my-bucket"
    assert from_environment({"PODIUM_PAYLOAD_THRESHOLD": "256KB"}).threshold == 256 * 1024
    assert from_environment({}, default_store=str(tmp_path)).store == f"file:{tmp_path}"
    assert from_environment({"PODIUM_PAYLOAD_STORE": "none"}, default_store="x").store is None


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("PODIUM_PAYLOAD_STORE", "s3://A_B", "is not an S3 bucket name"),
        ("PODIUM_PAYLOAD_STORE", "gs://bucket", "unknown store"),
        ("PODIUM_PAYLOAD_THRESHOLD", "lots", "is not a size"),
        ("PODIUM_PAYLOAD_THRESHOLD", "5MB", "outside 1KB–2MB"),
    ],
)
def test_bad_settings_name_the_variable_and_the_fix(variable, value, says):
    with pytest.raises(PayloadSettingsError, match=says) as info:
        from_environment({variable: value})
    assert variable in str(info.value) and "hint:" in str(info.value)


def test_a_bad_key_is_refused_without_showing_it():
    secret = base64.b64encode(b"too short").decode()
    with pytest.raises(PayloadSettingsError) as info:
        from_environment({"PODIUM_ENCRYPTION_KEYS": f"k1:{secret}"})
    assert secret not in str(info.value) and "32-byte key" in str(info.value)
    _, good = key("k1")
    with pytest.raises(PayloadSettingsError, match="appears twice"):
        from_environment({"PODIUM_ENCRYPTION_KEYS": f"{good},{good}"})


def test_keys_come_from_a_file(tmp_path):
    (_, one), (_, two) = key("new"), key("old")
    path = tmp_path / "keys"
    path.write_text(f"# newest first\n{one}\n{two}\n")
    settings = from_environment({"PODIUM_ENCRYPTION_KEY_FILE": str(path)})
    assert [k for k, _ in settings.keys] == ["new", "old"]
    assert "new" in settings.describe() and one.split(":")[1] not in repr(settings)
    with pytest.raises(PayloadSettingsError, match="cannot read it"):
        from_environment({"PODIUM_ENCRYPTION_KEY_FILE": str(tmp_path / "missing")})


async def test_rotation_old_payloads_stay_readable_new_ones_use_the_new_key():
    old_id, old = key("2026-01")
    new_id, new = key("2026-06")
    before = data_converter(from_environment({"PODIUM_ENCRYPTION_KEYS": old}))
    after = data_converter(from_environment({"PODIUM_ENCRYPTION_KEYS": f"{new},{old}"}))
    plain = data_converter(PayloadSettings())
    [sealed] = await before.encode([{"customer": "canary-4711"}])
    assert b"canary-4711" not in sealed.SerializeToString()
    assert sealed.metadata["encryption-key-id"] == old_id.encode()
    assert await after.decode([sealed], [dict]) == [{"customer": "canary-4711"}]
    [resealed] = await after.encode([{"customer": "canary-4711"}])
    assert resealed.metadata["encryption-key-id"] == new_id.encode()
    [unsealed] = await plain.encode(["written before encryption"])
    assert await after.decode([unsealed], [str]) == ["written before encryption"]
    newest_only = data_converter(from_environment({"PODIUM_ENCRYPTION_KEYS": new}))
    with pytest.raises(UnknownEncryptionKey, match="'2026-01', which this process does not"):
        await newest_only.decode([sealed], [dict])


def test_keys_made_the_same_day_get_different_ids_and_old_ids_stay_valid():
    made = [new_key() for _ in range(50)]
    ids = [k.split(":")[0] for k in made]
    assert len(set(ids)) == len(ids)
    today = f"{datetime.date.today():k%Y%m%d}"
    assert all(re.fullmatch(rf"{today}-[0-9a-f]{{6}}", key_id) for key_id in ids)
    _, old_style = key("k20261130")  # what keygen made before ids got a suffix
    settings = from_environment({"PODIUM_ENCRYPTION_KEYS": ",".join([*made[:2], old_style])})
    assert [k for k, _ in settings.keys] == [*ids[:2], "k20261130"]


async def test_a_process_without_keys_names_the_key_it_lacks():
    _, one = key("k20260101-a1b2c3")
    [sealed] = await data_converter(from_environment({"PODIUM_ENCRYPTION_KEYS": one})).encode(
        [{"customer": "canary-4711"}]
    )
    keyless = data_converter(PayloadSettings())
    with pytest.raises(UnknownEncryptionKey) as info:  # not KeyError: Unknown payload encoding
        await keyless.decode([sealed], [dict])
    assert info.value.key_id == "k20260101-a1b2c3"
    assert str(info.value.reading("run r-1")) == (
        "cannot read run r-1: its data is encrypted with key 'k20260101-a1b2c3', which this "
        "client does not have (its keys: none); set PODIUM_ENCRYPTION_KEYS=k20260101-a1b2c3:"
        "<base64 key> (or PODIUM_ENCRYPTION_KEY_FILE) on this client"
    )
    [plain] = await keyless.encode(["still unencrypted"])  # without keys nothing is encrypted
    assert plain.metadata["encoding"] == b"json/plain"


async def test_a_missing_keys_failure_carries_its_message_not_a_stack_trace():
    from temporalio.api.failure.v1 import Failure

    sealed = await data_converter(from_environment({"PODIUM_ENCRYPTION_KEYS": key()[1]})).encode(
        ["x"]
    )
    with pytest.raises(UnknownEncryptionKey) as info:
        await data_converter(PayloadSettings()).decode(sealed, [str])
    failure = Failure()
    converter = data_converter(PayloadSettings())
    converter.failure_converter.to_failure(info.value, converter.payload_converter, failure)
    assert "encrypted with key 'k1'" in failure.message and failure.stack_trace == ""
    assert failure.application_failure_info.type == "UnknownEncryptionKey"


async def test_same_key_id_different_key_is_named():
    _, one = key("k1")
    _, other = key("k1")
    [sealed] = await EncryptionCodec(from_environment({"PODIUM_ENCRYPTION_KEYS": one}).keys).encode(
        [(await data_converter(PayloadSettings()).encode(["x"]))[0]]
    )
    codec = EncryptionCodec(from_environment({"PODIUM_ENCRYPTION_KEYS": other}).keys)
    with pytest.raises(UnknownEncryptionKey, match="the keys differ between processes"):
        await codec.decode([sealed])


async def test_file_store_errors_say_what_and_where(tmp_path):
    store = FileStore(tmp_path / "store")
    converter = data_converter(PayloadSettings(store=f"file:{tmp_path / 'store'}", threshold=1024))
    [reference] = await converter.encode(["x" * 5000])
    assert reference.ByteSize() < 600
    [path] = [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
    path.write_bytes(b"damaged")
    with pytest.raises(PayloadStoreError, match="is damaged"):
        await converter.decode([reference], [str])
    path.unlink()
    with pytest.raises(PayloadStoreError, match="was it pruned, or does this process use"):
        await converter.decode([reference], [str])
    missing = StorageDriverClaim(claim_data={"sha256": "ab" * 32})
    with pytest.raises(PayloadStoreError, match=str(tmp_path / "store")):
        await store.retrieve(StorageDriverRetrieveContext(), [missing])


async def test_failure_messages_are_encrypted_too():
    from temporalio.api.failure.v1 import Failure
    from temporalio.exceptions import ApplicationError

    _, one = key("k1")
    converter = data_converter(from_environment({"PODIUM_ENCRYPTION_KEYS": one}))
    failure = Failure()
    await converter.encode_failure(ApplicationError("customer canary-4711 refused"), failure)
    assert b"canary-4711" not in failure.SerializeToString()
    back = await converter.decode_failure(failure)
    assert "canary-4711" in str(back)
