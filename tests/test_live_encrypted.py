"""A run's event stream under encryption: a subscriber with the key reads every event and
the agents' text; the server only ever holds the text encrypted (signals and poll
answers carry the run's key id); a client without the key is told which key it lacks."""

from __future__ import annotations

from podium.activities.payloads.codec import KEY_ID
from podium.activities.payloads.settings import new_key
from podium.activities.run_events import TextAssembly
from podium.compiler.spec_compiler import compile_spec
from podium.starters.events import subscribe
from podium.starters.launch import start_run

from tests.test_encryption_keys import connect, keys, podium, workers

SECRET_WORDS = "the parcel for Jalan Merdeka 7 ships tomorrow"
SPEC = {
    "name": "live_encrypted",
    "agents": {
        "agents": {
            "writer": {
                "model": "scripted",
                "latency": "300ms",
                "script": [{"output": SECRET_WORDS}],
            }
        }
    },
    "steps": [{"id": "reply", "agent": "writer"}],
    "output": "steps.reply.output",
}


async def test_the_stream_is_encrypted_end_to_end(address, write_spec, tmp_path):
    key = new_key()
    key_id = key.split(":")[0]
    async with workers(address, keys(key)):
        client = await connect(address, keys(key))
        handle = await start_run(client, compile_spec(write_spec(SPEC)), {}, follow=True)
        events = [e async for e in subscribe(client, handle.id)]
        text = TextAssembly()
        calls = {text.add(e) for e in events} - {None}
        assert [text.text(c) for c in calls] == [SECRET_WORDS]
        assert events[-1].kind == "run.ended" and events[-1].data["output"] == SECRET_WORDS

        history = await handle.fetch_history()
        carried = [
            p
            for e in history.events
            for p in (
                *e.workflow_execution_signaled_event_attributes.input.payloads,
                *e.workflow_execution_update_completed_event_attributes.outcome.success.payloads,
            )
        ]
        assert carried, "the text came by signal and the events by poll updates"
        assert {p.metadata[KEY_ID].decode() for p in carried} == {key_id}
        assert b"Merdeka" not in history.to_json().encode()

        code, out, err = await podium(tmp_path, address, "watch", handle.id)
        assert code == 2 and "Traceback" not in err, err
        assert err == (
            f"podium: cannot read run {handle.id}: its data is encrypted with key '{key_id}', "
            f"which this client does not have (its keys: none); set PODIUM_ENCRYPTION_KEYS="
            f"{key_id}:<base64 key> (or PODIUM_ENCRYPTION_KEY_FILE) on this client\n"
        )
