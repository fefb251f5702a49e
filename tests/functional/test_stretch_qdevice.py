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
"""Stretch variant: two Corosync nodes and corosync-qnetd in a third site."""

from __future__ import annotations

import time

import pytest

from harness import arbiter, faults, proc, requirements
from harness.arbiter import DATA_NODES, QuorumLab

pytestmark = pytest.mark.functional

RUNS = 3
# Corosync's token (3 s for two nodes) and consensus (1.2 token) before
# the membership changes, then qdevice's round trip to qnetd, with room
# for a busy host.
DECIDED = 30.0
# How long the decision must hold, polled.
HOLD = 3.0
POLL = 0.25


@pytest.fixture(scope="module")
def quorum(workdir, daemons):
    requirements.require(root_binaries=arbiter.QUORUM_BINARIES,
                         binaries=("ip", "unshare", "nsenter",
                                   *faults.BINARIES))
    lab = QuorumLab(workdir, daemons)
    try:
        lab.prepare()
        lab.certificates()
        lab.formed = lab.start()
        yield lab
    finally:
        lab.close()


def test_stretch_qdevice(quorum, measurements):
    """The link between the sites fails: qnetd's vote picks one side.

    Both nodes still reach controller3, where corosync-qnetd runs; with
    the variant's ffsplit algorithm and two nodes of one vote each,
    qnetd gives its vote to exactly one partition (the one with the
    lowest node ID), which keeps quorum with two of three votes while
    the other has one and loses it. The frames between the two nodes
    are dropped in both directions (no RST, no ICMP); their links to
    controller3 stay up.
    """
    first, second = DATA_NODES
    result = measurements.scenario(
        "stretch-qdevice",
        title="Stretch: the inter-site link fails, qnetd breaks the tie",
        description=(
            "controller1 and controller2 run corosync and "
            "corosync-qdevice from the stretch variant's corosync.conf "
            "(ffsplit, TLS), controller3 runs corosync-qnetd; the link "
            "between the two nodes is cut both ways while both still "
            "reach controller3."),
        test="test_stretch_qdevice")
    result.loads(arbiter.COROSYNC_CONF)
    result.measure("both nodes quorate with the device's vote after start",
                   quorum.formed, "s", bound=("<=", arbiter.FORMATION_TIMEOUT))
    result.measure("nodes connected to qnetd by TLS, certificate checked",
                   quorum.verified_clients(), "nodes", bound=("==", 2))
    lines = {n: result.timeline(f"{n} quorate (corosync-quorumtool)")
             for n in DATA_NODES}
    started = time.monotonic()
    for line in lines.values():
        line.start(started)

    def poll() -> dict[str, tuple[bool | None, int | None]]:
        seen = {n: quorum.votes(n) for n in DATA_NODES}
        now = time.monotonic()
        for node, (quorate, _total) in seen.items():
            lines[node].record(bool(quorate), now)
        return seen

    for _ in range(4):
        assert all(q for q, _ in poll().values())
        time.sleep(POLL)
    with faults.Faults(quorum.lab) as fault:
        fault.partition(first, [second])
        cut = time.monotonic()
        for line in lines.values():
            line.event("link cut", cut)

        def decided() -> bool:
            seen = poll()
            return seen[first] == (True, 2) and seen[second][0] is False

        proc.wait_for(decided, timeout=DECIDED, interval=POLL,
                      what="one partition quorate, the other not")
        decision = time.monotonic()
        for line in lines.values():
            line.event("decided", decision)
        # The decision holds: no flapping, never two quorate sides.
        quorate_sides = set()
        until = time.monotonic() + HOLD
        while time.monotonic() < until:
            seen = poll()
            # A node whose quorumtool did not answer (a busy host) says
            # nothing about its quorum: only answered polls count.
            if all(q is not None for q, _ in seen.values()):
                quorate_sides.add(sum(1 for q, _ in seen.values() if q))
            time.sleep(POLL)
    result.measure("time from the cut until one side alone has quorum",
                   decision - cut, "s", bound=("<=", DECIDED))
    result.measure("partitions with quorum after the decision",
                   max(quorate_sides), "partitions", bound=("==", 1))
    assert quorate_sides == {1}
