"""Workers on separate hosts, one host lost in the middle of a peak.

Each host is a Linux network namespace with its own address on a bridge this test makes
(``ip netns``, ``veth``: private addresses inside this machine, nothing leaves it); the
journaling provider (a labelled fake at the model's edge, tests/support/fault_server.py)
listens on the bridge's own address.
One host runs the Temporal server, two run a worker each; in the middle of 16 runs one
worker host vanishes: its link is cut
(the server hears nothing more from it, no connection is closed) and every process on it
killed. The runs must all complete on the other host, and no call the provider had
answered is made again — unless it answered the lost host, whose report of the call may
not have reached the server before its link went."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from podium.activities.payloads.converter import data_converter
from podium.compiler.spec_compiler import compile_spec
from podium.starters.devserver import dev_server_args, port_open, stop_process, temporal_binary
from podium.starters.launch import start_run
from temporalio.client import Client

from tests.support.fault_server import Entry, fault_server
from tests.support.worker_process import start_worker, wait_for

SUBNET = "10.213.{}.{}"


def sh(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)


class Hosts:
    """A bridge with address ``10.213.<n>.1`` and hosts ``.11``, ``.12``… on it."""

    def __init__(self, count: int) -> None:
        tag = uuid.uuid4().hex[:5]
        self.net = 1 + int(tag, 16) % 250
        self.bridge = f"pbr{tag}"
        self.gateway = SUBNET.format(self.net, 1)
        self.names = [f"podh{tag}{i}" for i in range(count)]
        self.links = [f"pv{tag}{i}" for i in range(count)]

    def up(self) -> None:
        sh("ip", "link", "add", self.bridge, "type", "bridge")
        sh("ip", "addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        sh("ip", "link", "set", self.bridge, "up")
        for i, (name, link) in enumerate(zip(self.names, self.links, strict=True)):
            sh("ip", "netns", "add", name)
            sh("ip", "link", "add", link, "type", "veth", "peer", "name", f"{link}h")
            sh("ip", "link", "set", f"{link}h", "netns", name)
            sh("ip", "link", "set", link, "master", self.bridge, "up")
            sh("ip", "-n", name, "addr", "add", f"{self.address(i)}/24", "dev", f"{link}h")
            sh("ip", "-n", name, "link", "set", f"{link}h", "up")
            sh("ip", "-n", name, "link", "set", "lo", "up")
            sh("ip", "-n", name, "route", "add", "default", "via", self.gateway)

    def address(self, i: int) -> str:
        return SUBNET.format(self.net, 11 + i)

    def run(self, i: int, command: list[str], log: Path) -> subprocess.Popen[bytes]:
        """Start ``command`` on host ``i`` (its own process group)."""
        with log.open("ab") as out:
            return subprocess.Popen(
                ["ip", "netns", "exec", self.names[i], *command],
                stdout=out,
                stderr=out,
                start_new_session=True,
            )

    def lose(self, i: int) -> None:
        """The host vanishes: its link goes down first (no packet, no FIN, no RST), then
        every process on it is killed."""
        sh("ip", "link", "set", self.links[i], "down")
        pids = subprocess.run(
            ["ip", "netns", "pids", self.names[i]], capture_output=True, text=True
        ).stdout.split()
        for pid in pids:
            os.kill(int(pid), 9)

    def down(self) -> None:
        for name in self.names:
            pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True)
            for pid in pids.stdout.split():
                os.kill(int(pid), 9)
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        for link in self.links:
            subprocess.run(["ip", "link", "del", link], capture_output=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)


def _can_make_hosts() -> bool:
    probe = f"podprobe{uuid.uuid4().hex[:5]}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode == 0
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return made


@pytest.fixture
def hosts() -> Iterator[Hosts]:
    if not _can_make_hosts():
        pytest.skip("needs root and iproute2 to make network namespaces (ip netns add)")
    made = Hosts(3)
    try:
        made.up()
        yield made
    finally:
        made.down()


def catalog(url: str) -> dict:
    agent = {
        "model": "hosts:m",
        "output": {"type": "object", "required": ["summary"]},
        "heartbeat": "2s",
        "timeout": "20s",
        "retry": {"max_attempts": 1},
    }
    return {
        "providers": {"hosts": {"base_url": url, "circuit": False}},
        "agents": {"analyst": agent},
    }


SPEC = {
    "name": "hosts",
    "agents": "agents.yaml",
    "steps": [
        {"id": "a", "agent": "analyst", "with": {"doc": "input.doc"}},
        {"id": "b", "agent": "analyst", "with": {"a": "steps.a.output"}},
        {"id": "c", "agent": "analyst", "with": {"b": "steps.b.output"}},
        {"id": "d", "agent": "analyst", "with": {"c": "steps.c.output"}},
    ],
}


@pytest.mark.slow
async def test_losing_a_whole_worker_host_mid_peak_fails_no_run_and_repeats_no_call(
    hosts, write_spec, tmp_path
):
    server_log, log = tmp_path / "server.log", tmp_path / "workers.log"
    log.touch()
    host = hosts.address(0)
    server = hosts.run(
        0,
        # every address of its own host (its services dial each other on its loopback)
        [temporal_binary(), "server", "start-dev", "--ip", "0.0.0.0", "--port", "7233"]
        + ["--headless", "--log-level", "warn", *dev_server_args()],
        server_log,
    )
    workers = []
    try:
        await wait_for(lambda: port_open(7233, host), 60, "the server host")
        address = f"{host}:7233"
        client = await Client.connect(address, data_converter=data_converter())
        with fault_server(host=hosts.gateway, latency_s=0.5) as llm:
            (tmp_path / "providers.yaml").write_text(yaml.safe_dump(catalog(llm.url)))
            plan = compile_spec(write_spec(SPEC, catalog(llm.url)))
            for name in hosts.names[1:]:
                workers.append(
                    start_worker(
                        address,
                        log,
                        "default",
                        "--catalog",
                        str(tmp_path / "providers.yaml"),
                        wrapper=("ip", "netns", "exec", name),
                    )
                )
            handles = [await start_run(client, plan, {"doc": f"order {i}"}) for i in range(16)]
            # the peak is under way: calls answered, more in flight on both hosts
            await wait_for(lambda: len(llm.entries()) >= 20 and llm.in_flight >= 2, 60, "calls")
            lost_at = time.time()
            hosts.lose(1)
            results = await asyncio.wait_for(
                asyncio.gather(*(h.result() for h in handles), return_exceptions=True), 180
            )
            journal = llm.entries()
    finally:
        for process in workers:
            stop_process(process)
        stop_process(server)
    failed = [r for r in results if isinstance(r, BaseException)]
    assert not failed, f"{len(failed)} of 16 runs failed after losing a host: {failed[0]!r}"
    for result in results:
        assert [s.status for s in result.state.steps] == ["completed"] * 4
    # A call answered to a surviving host is never made again. One answered to the lost
    # host may be, when its completion had not reached the server yet (that worker was
    # starved or mid-report when its link went): only those, and only after the loss.
    lost = hosts.address(1)
    first: dict[str, Entry] = {}
    for entry in sorted(journal, key=lambda e: e.started):
        if entry.outcome != "ok":
            continue
        if entry.key not in first:
            first[entry.key] = entry
            continue
        answered = first[entry.key]
        assert answered.peer == lost and entry.started > lost_at, (
            f"call {entry.key} answered to {answered.peer} was made again"
        )
    assert sum(1 for e in journal if e.outcome == "ok") >= 16 * 4
    # both hosts served calls before the loss (the peak really was spread)
    served = {e.peer for e in journal if e.started < lost_at}
    assert served == {hosts.address(1), hosts.address(2)}, served
