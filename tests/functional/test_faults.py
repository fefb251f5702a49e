# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
"""The fault injector itself: partitions, cut links and crashes do what
the scenarios rely on, inside the lab and nowhere else."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from harness import faults, netns, proc, requirements

pytestmark = pytest.mark.functional

BACKEND = Path(__file__).parent / "harness" / "httpbackend.py"
NODES = {"controller1": "10.0.0.12", "controller2": "10.0.0.13",
         "controller3": "10.0.0.14"}
PORT = "8080"
# A connection attempt to a silent peer gets this long: a refused or
# reset one ends at once, a dropped one runs into the timeout.
CONNECT = """import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1.5)
except TimeoutError:
    print("timeout")
except OSError as exc:
    print(type(exc).__name__)
else:
    print("connected")
"""


def _connect(lab: netns.Lab, node: str, target: str) -> str:
    return proc.run(lab.exec_argv(node, [
        sys.executable, "-c", CONNECT, NODES[target], PORT]),
        timeout=10).stdout.strip()


@pytest.fixture
def lab(daemons):
    requirements.require(binaries=(*faults.BINARIES, "unshare", "nsenter"))
    lab = netns.Lab("ft", daemons)
    try:
        lab.setup({**{n: {"eth0": a} for n, a in NODES.items()},
                   "client": {"eth0": netns.CLIENT_ADDRESS}})
        for node, address in NODES.items():
            daemons.start(f"{node}-api", lab.exec_argv(node, [
                sys.executable, str(BACKEND), address, PORT, node]))
        proc.wait_for(lambda: all(
            _connect(lab, "client", n) == "connected" for n in NODES),
            timeout=15, what="three listening stand-in servers")
        yield lab
    finally:
        daemons.stop_all()
        lab.close()


def test_partition_cut_and_heal(lab):
    """A partition isolates one node from the others only; a cut node is
    silent to everyone (a timeout, never a refusal or a reset); heal
    restores both."""
    with faults.Faults(lab) as injector:
        injector.partition("controller1", ["controller2", "controller3"])
        assert _connect(lab, "controller1", "controller2") == "timeout"
        assert _connect(lab, "controller3", "controller1") == "timeout"
        assert _connect(lab, "controller2", "controller3") == "connected"
        assert _connect(lab, "client", "controller1") == "connected"
        assert _connect(lab, "client", "controller2") == "connected"
        injector.heal()
        assert _connect(lab, "controller1", "controller2") == "connected"
        injector.cut("controller2")
        assert _connect(lab, "client", "controller2") == "timeout"
        assert _connect(lab, "controller1", "controller2") == "timeout"
        assert _connect(lab, "controller1", "controller3") == "connected"
        # The node itself still runs, with its link up.
        assert lab.addresses("controller2") == [NODES["controller2"]]
    # Leaving the context heals.
    assert _connect(lab, "client", "controller2") == "connected"


def test_crash_kills_every_process_of_the_nodes(lab, daemons):
    """crash() leaves no process in the nodes' namespaces, at once."""
    for node in ("controller1", "controller2"):
        lab.boot(node, node)
        lab.start_in(node, f"{node}-sleeper", ["sleep", "300"])
    sleepers = {n: lab.daemon_pid(f"{n}-sleeper")
                for n in ("controller1", "controller2")}
    faults.Faults(lab).crash(["controller1", "controller2"])
    for node, pid in sleepers.items():
        assert not daemons.running(f"{node}-init")
        assert not proc.pid_alive(pid), f"{node}'s sleep survived"
    # The node that was not crashed still answers.
    assert _connect(lab, "client", "controller3") == "connected"
