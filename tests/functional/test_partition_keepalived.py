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
"""keepalived under a partition, and a whole controller that fails back."""

from __future__ import annotations

import re
import time

import pytest

from harness import (faults, haproxy, keepalived, proc, requirements,
                     results, tree)

pytestmark = pytest.mark.functional

# VRRP's master-down interval with advert_int 1 (about 3.6 s, see
# test_failover_keepalived) plus scheduling slack on a busy host.
MASTER_DOWN = 3.6
SLACK = 2.0
# How long the partition is held once both sides have a master.
HELD = 4.0
# One request through the VIP from the client namespace every 100 ms.
INTERVAL = 0.1
# fall x inter of the keystone proxy's servers, plus slack: by then every
# HAProxy has marked a dead node's API server DOWN.
_CHECKS = haproxy.check_params(tree.example(haproxy.HAPROXY_CFG),
                               f"{keepalived.SERVICE}_api")
DEAD_BACKEND = _CHECKS["fall"] * _CHECKS["inter"] / 1000 + 2 * SLACK


@pytest.fixture(scope="module")
def vrrp(workdir, daemons):
    requirements.require(root_binaries=keepalived.BINARIES, binaries=(
        *keepalived.HOST_BINARIES, *faults.BINARIES))
    lab = keepalived.VrrpLab(workdir, daemons)
    try:
        lab.start()
        lab.settled()
        yield lab
    finally:
        lab.close()


def _scenario(measurements, key, title, description, test):
    return measurements.scenario(key, title=title, description=description,
                                 test=test)


def _internal_priority(node: str) -> int:
    """node's priority in VI_INTERNAL, the first instance of its file."""
    text = tree.node_file(keepalived.KEEPALIVED_CONF, node)
    return int(re.search(r"^\s*priority\s+(\d+)", text, re.M).group(1))


def test_keepalived_partition(vrrp, measurements):
    """The VIP's holder is cut off from the other two controllers.

    VRRP has no quorum (keepalived.rst, "Split brain"): the other side
    hears no master, elects one after the master-down interval, and two
    controllers hold the VIP until the partition heals; then the one
    with the higher priority keeps it and the other releases it within
    a few adverts. The client, which reaches both sides, is answered
    throughout by one or the other.
    """
    result = _scenario(
        measurements, "keepalived-partition",
        "keepalived: the VIP's holder is partitioned",
        "Three controllers in network namespaces run the tree's "
        "keepalived.conf and haproxy.cfg; the VIP's holder is cut off "
        "from the other two (both directions, its processes running, the "
        "client still reaching every node), then the partition heals.",
        "test_keepalived_partition")
    holder = vrrp.settled()
    others = [n for n in vrrp.lab.nodes if n not in (holder, "client")]
    timeline = result.timeline("requests through the VIP")
    load = results.Load(vrrp.ask, timeline, interval=INTERVAL,
                        errors=(keepalived.NoAnswer,), limit=120)
    with faults.Faults(vrrp.lab) as injector, load:
        time.sleep(1)
        cut = timeline.event("partition")
        injector.partition(holder, others)
        proc.wait_for(lambda: len(vrrp.holders()) == 2,
                      timeout=MASTER_DOWN + 3 * SLACK,
                      what="a second master on the majority side")
        split = timeline.event("second VIP holder")
        masters = vrrp.holders()
        time.sleep(HELD)
        assert len(vrrp.holders()) == 2
        healed = timeline.event("heal")
        injector.heal()
        proc.wait_for(lambda: len(vrrp.holders()) == 1, timeout=10,
                      what="a single VIP holder after the heal")
        resolved = timeline.event("single VIP holder")
        time.sleep(1)
    kept = vrrp.holders()
    result.measure("second VIP holder after the partition", split - cut,
                   "s", bound=("<=", MASTER_DOWN + SLACK))
    result.measure("single VIP holder again after the heal",
                   resolved - healed, "s", bound=("<=", 3.0 + SLACK))
    result.measure("time with two VIP holders (partition held "
                   f"{HELD:g} s)", resolved - split, "s")
    result.measure("requests through the VIP that failed",
                   len(load.failed), "requests")
    result.measure("node keeping the VIP after the heal",
                   f"{kept[0]} (held it before: {holder})", "")
    # The higher priority wins the master-master contest. Which node
    # won the first election depends on start-up timing (nopreempt, all
    # start as backups), so the winner is the higher-priority master.
    assert kept == [max(masters, key=_internal_priority)], (kept, masters)


def test_keepalived_node_fails_back(vrrp, measurements):
    """A whole controller dies, then returns: the VIP stays where it is.

    The VIP's holder is killed as a node (every process, its links
    down); a backup takes the VIP after the master-down interval. The
    node boots again, starts its API server, HAProxy and keepalived, and
    comes back as a backup: nopreempt keeps the VIP on the new master,
    so clients see no second interruption.
    """
    result = _scenario(
        measurements, "keepalived-failback",
        "keepalived: a whole controller dies and fails back",
        "The controller holding the VIP loses power (every process "
        "SIGKILLed, its links down); after the VIP has moved, the node "
        "boots, starts its API server, HAProxy and keepalived again.",
        "test_keepalived_node_fails_back")
    old = vrrp.settled()
    timeline = result.timeline("requests through the VIP")
    load = results.Load(vrrp.ask, timeline, interval=INTERVAL,
                        errors=(keepalived.NoAnswer,), limit=120)
    injector = faults.Faults(vrrp.lab)
    with load:
        time.sleep(1)
        killed = timeline.event("node killed")
        injector.kill_node(old)
        proc.wait_for(lambda: [n for n in vrrp.holders() if n != old],
                      timeout=MASTER_DOWN + 3 * SLACK,
                      what="the VIP on a surviving controller")
        moved = timeline.event("VIP moved")
        new = [n for n in vrrp.holders() if n != old][0]
        proc.wait_for(lambda: load.ok and load.ok[-1][0] > moved,
                      timeout=10, what="an answer through the VIP")
        answered = timeline.event("answering again")
        # Until the HAProxies mark the dead node's API server DOWN, they
        # still send it some requests, which time out; a real reboot
        # takes longer than that. Failures after the boot are then the
        # return's own.
        time.sleep(max(0.0, killed + DEAD_BACKEND - time.monotonic()))
        booted = timeline.event("node boots")
        injector.revive_node(old)
        vrrp.boot_node(old)
        before = vrrp.logged(old, "Entering BACKUP STATE")
        vrrp.rejoined(old, before)
        timeline.event("node back as backup")
        # Several adverts: a preempting node would take the VIP now.
        time.sleep(3)
    result.measure("VIP on a survivor after the node died", moved - killed,
                   "s", bound=("<=", MASTER_DOWN + SLACK))
    result.measure("API answering through the VIP after",
                   answered - killed, "s",
                   bound=("<=", MASTER_DOWN + 2 * SLACK))
    result.measure("failed requests after the node returned",
                   load.failed_since(booted), "requests", bound=("==", 0))
    assert vrrp.holders() == [new], "the VIP moved back"
    result.measure("VIP moved back to the returning node", 0, "times",
                   bound=("==", 0))
