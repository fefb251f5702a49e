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
"""Pacemaker: the VIP's node is partitioned from the two others."""

from __future__ import annotations

import time

import pytest

from harness import faults, proc, requirements, results, tree
from harness.pacemaker import (BINARIES, HOST_BINARIES, PING_ERRORS,
                               PacemakerLab)

pytestmark = pytest.mark.functional

RUNS = 3
VIP_HAPROXY = "pacemaker/vip-haproxy.pcs"
# No systemd in the lab: HAProxy runs through Debian's LSB init script.
AGENT_REWRITE = {"systemd:haproxy": "lsb:haproxy"}
# corosync's token timeout plus consensus and Pacemaker's reaction, with
# room for a busy host.
NOTICED = 30.0
# One ping to the VIP from the client every 200 ms.
PING = 0.2


@pytest.fixture(scope="module")
def cluster(workdir, daemons):
    requirements.require(root_binaries=BINARIES,
                         binaries=(*HOST_BINARIES, *faults.BINARIES))
    lab = PacemakerLab(workdir, daemons)
    try:
        lab.prepare()
        lab.start_cluster()
        yield lab
    finally:
        lab.close()


def _quorate(cluster, node: str) -> bool | None:
    status = cluster.crm_mon(node)
    if "partition with quorum" in status:
        return True
    if "partition WITHOUT quorum" in status:
        return False
    return None


def test_pacemaker_partition(cluster, measurements):
    """The VIP's node loses quorum and stops its resources by itself.

    The tree's vip-haproxy.pcs runs unchanged but for lsb:haproxy (no
    systemd here) and, as in test_failover_pacemaker_cluster, with
    stonith-enabled=false: no IPMI exists in the lab. What stands in for
    fencing is Pacemaker's no-quorum-policy=stop (its default, which the
    tree keeps): the isolated node, alone, has no quorum and stops every
    resource, so it drops the VIP, while the two others have quorum and
    start the VIP on one of them. With real fencing the majority would
    also power the isolated node off before taking over; here the test
    measures how long both sides hold the VIP without it. After the heal
    the node rejoins and the VIP stays where it is (resource-stickiness).
    """
    from confcheck.checks._commands import read_commands
    result = measurements.scenario(
        "pacemaker-partition",
        title="Pacemaker: the VIP's node is partitioned",
        description=(
            "Three controllers run corosync and pacemakerd with "
            "vip-haproxy.pcs (fencing disabled, no IPMI in the lab); the "
            "VIP's node is cut off from the two others, both directions, "
            "its processes running; then the partition heals."),
        test="test_pacemaker_partition")
    cluster.pcs("controller1", "property", "set", "stonith-enabled=false")
    for command in read_commands(tree.example(VIP_HAPROXY)):
        cluster.pcs("controller1", *[AGENT_REWRITE.get(w, w)
                                     for w in command.words[1:]])
    vip = tree.vip()
    proc.wait_for(lambda: len(cluster.locate(
        "controller1", "lb-haproxy-clone")) == 3 and len(
        cluster.holders(vip, tree.CONTROLLERS)) == 1,
        timeout=60, interval=0.5, what="HAProxy clone on 3 nodes, VIP up")
    owner = cluster.holders(vip, tree.CONTROLLERS)[0]
    others = [n for n in tree.CONTROLLERS if n != owner]
    seen: dict[str, float] = {}

    def watch() -> bool:
        now = time.monotonic()
        holders = cluster.holders(vip, tree.CONTROLLERS)
        if len(holders) > 1:
            seen.setdefault("two holders from", now)
            seen["two holders until"] = now
        if owner not in holders:
            seen.setdefault("isolated node dropped the VIP", now)
        if any(n in holders for n in others):
            seen.setdefault("VIP on the majority", now)
        if _quorate(cluster, owner) is False:
            seen.setdefault("isolated node without quorum", now)
        return {"isolated node dropped the VIP", "VIP on the majority",
                "isolated node without quorum"} <= set(seen)

    timeline = result.timeline("pings to the VIP from a client")
    load = results.Load(lambda: cluster.ping(vip), timeline, interval=PING,
                        errors=PING_ERRORS, limit=240)
    with load:
        with faults.Faults(cluster.lab) as injector:
            time.sleep(1)
            cut = timeline.event("partition")
            injector.partition(owner, others)
            proc.wait_for(watch, timeout=NOTICED + 30, interval=0.2,
                          what="the partition resolved on both sides")
            assert _quorate(cluster, others[0]) is True
            assert cluster.locate(others[0], "vip") != [owner]
            healed = timeline.event("heal")
        proc.wait_for(lambda: cluster.online(owner), timeout=60,
                      interval=1, what=f"{owner} back in the cluster")
        rejoined = timeline.event("rejoined")
        new = [n for n in cluster.holders(vip, tree.CONTROLLERS)]
        time.sleep(5)
        assert cluster.holders(vip, tree.CONTROLLERS) == new, "the VIP moved"
    for what, label in (("isolated node without quorum", "no quorum"),
                        ("isolated node dropped the VIP", "VIP dropped"),
                        ("VIP on the majority", "VIP on the majority")):
        timeline.event(label, seen[what])
    assert owner not in new
    for what in ("isolated node without quorum",
                 "isolated node dropped the VIP", "VIP on the majority"):
        result.measure(f"{what} after", seen[what] - cut, "s",
                       bound=("<=", NOTICED))
    overlap = (seen["two holders until"] - seen["two holders from"]
               if "two holders from" in seen else 0.0)
    result.measure("time with two VIP holders (no fencing)", overlap, "s")
    result.measure("node rejoined after the heal", rejoined - healed, "s",
                   bound=("<=", 60.0))
    result.measure("VIP moved back after the heal", 0, "times",
                   bound=("==", 0))
