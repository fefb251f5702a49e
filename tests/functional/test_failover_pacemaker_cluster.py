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
"""A real three-node Corosync + Pacemaker cluster in namespaces."""

from __future__ import annotations

import shutil
import signal
import time

import pytest

from harness import netns, proc, requirements, results, runbook, tree
from harness.pacemaker import (BINARIES, FORMATION_TIMEOUT, HOST_BINARIES,
                               PING_ERRORS, PacemakerLab)

pytestmark = pytest.mark.functional

VIP_HAPROXY = "pacemaker/vip-haproxy.pcs"
# No systemd in the lab: HAProxy runs through Debian's LSB init script,
# the only change to the tree's commands.
AGENT_REWRITE = {"systemd:haproxy": "lsb:haproxy"}
# One ping to the VIP from the client every 200 ms.
PING = 0.2


@pytest.fixture(scope="module")
def cluster(workdir, daemons):
    requirements.require(root_binaries=BINARIES,
                         binaries=HOST_BINARIES)
    lab = PacemakerLab(workdir, daemons)
    try:
        lab.prepare()
        lab.formed = lab.start_cluster()
        yield lab
    finally:
        lab.close()


def test_pacemaker_cluster_node_failure(cluster, daemons, measurements):
    """The VIP owner fails hard: the VIP moves to a node with HAProxy.

    Corosync runs from the tree's corosync.conf (knet, crypto, the
    three-node list, unchanged) with a generated authkey; then the tree's
    vip-haproxy.pcs runs on controller1, with systemd:haproxy replaced
    by lsb:haproxy (no systemd here). Fencing: the guide configures
    fence_ipmilan, and no IPMI exists in a test lab, so only this test
    sets stonith-enabled=false (test_failover_pacemaker.py verifies and
    simulates the tree's fencing files with fencing enabled). A dead
    node is then not fenced but simply dropped, which is what a
    successful fence would lead to as well. The node that holds the VIP
    loses its network link and is killed (its whole PID namespace).
    """
    from confcheck.checks._commands import read_commands
    result = measurements.scenario(
        "pacemaker-cluster",
        title="Pacemaker: VIP owner fails in a three-node cluster",
        description=(
            "Three controllers in network namespaces run corosync (the "
            "tree's corosync.conf) and pacemakerd; vip-haproxy.pcs "
            "creates the HAProxy clone and the VIPs; the VIP's node "
            "loses its link and is killed."),
        test="test_pacemaker_cluster_node_failure")
    result.measure("three nodes online with quorum after", cluster.formed,
                   "s", bound=("<=", FORMATION_TIMEOUT))
    started = time.monotonic()
    cluster.pcs("controller1", "property", "set", "stonith-enabled=false")
    for command in read_commands(tree.example(VIP_HAPROXY)):
        words = [AGENT_REWRITE.get(w, w) for w in command.words[1:]]
        cluster.pcs("controller1", *words)
    vip = tree.vip()
    proc.wait_for(lambda: len(cluster.locate(
        "controller1", "lb-haproxy-clone")) == 3 and len(
        cluster.holders(vip, tree.CONTROLLERS)) == 1,
        timeout=60, interval=0.5, what="HAProxy clone on 3 nodes, VIP up")
    placed = time.monotonic() - started
    owner = cluster.holders(vip, tree.CONTROLLERS)[0]
    assert cluster.locate("controller1", "vip") == [owner]
    survivors = [n for n in tree.CONTROLLERS if n != owner]
    timeline = result.timeline("pings to the VIP from a client")
    with results.Load(lambda: cluster.ping(vip), timeline, interval=PING,
                      errors=PING_ERRORS, limit=90):
        time.sleep(1)
        killed = timeline.event("link cut, kill")
        cluster.lab.set_link(owner, up=False)
        cluster.lab.set_link(owner, up=False, dev="eth1")
        daemons.kill(f"{owner}-init", signal.SIGKILL)
        proc.wait_for(lambda: len(cluster.holders(vip, survivors)) == 1,
                      timeout=60, interval=0.2,
                      what="VIP on a surviving controller")
        moved = timeline.event("VIP moved") - killed
        time.sleep(1)
    new_owner = cluster.holders(vip, survivors)[0]
    clone = cluster.locate(survivors[0], "lb-haproxy-clone")
    assert new_owner in clone and owner not in clone, clone
    ping = proc.run(cluster.lab.exec_argv("client", [
        "ping", "-c", "1", "-W", "2", vip]), check=False)
    assert ping.returncode == 0, ping.stdout
    result.measure("commands run and resources placed after", placed, "s")
    result.measure("VIP on a surviving node after the owner failed",
                   moved, "s", bound=("<=", 20.0))
    result.measure("HAProxy clone instances left running", len(clone),
                   "of 2 survivors", bound=("==", 2))


def test_pacemaker_node_replaced(cluster, daemons, measurements):
    """The node the previous test killed is replaced by a new machine.

    Same name and addresses, so corosync.conf does not change and no
    node is removed or added: the new node gets the tree's corosync.conf
    and the cluster's authkey, starts with empty corosync and Pacemaker
    state, and the DC sends it the CIB. The VIP is pinged from the
    client the whole time; resource-stickiness keeps it where it is.
    """
    result = measurements.scenario(
        "pacemaker-replace",
        title="Pacemaker: replacing a lost node",
        description=(
            "The node killed in the previous scenario comes back as a new "
            "machine: empty /var/lib/pacemaker and /var/lib/corosync, the "
            "tree's corosync.conf and the cluster's authkey; corosync and "
            "pacemakerd start and the node joins while a client pings "
            "the VIP every 200 ms."),
        test="test_pacemaker_node_replaced")
    vip = tree.vip()
    lost = [n for n in tree.CONTROLLERS
            if not daemons.running(f"{n}-init")]
    assert len(lost) == 1, lost
    node = lost[0]
    for state in ("var/lib/pacemaker", "var/lib/corosync"):
        shutil.rmtree(cluster.workdir / node / state)
    # The node's namespaces outlive it: a new machine has only its own
    # addresses, not the VIPs the dead node held (Pacemaker's probe
    # would find them and restart the VIP).
    own = {tree.address(node),
           tree.cluster()["hosts"][node]["public_address"]}
    for dev in ("eth0", "eth1"):
        for address in cluster.lab.addresses(node, dev):
            if address not in own:
                proc.run(["ip", "-n", cluster.lab.ns(node), "addr", "del",
                          f"{address}/{netns.PREFIX_LENGTH}", "dev", dev],
                         timeout=10)
    cluster.lab.set_link(node, up=True)
    cluster.lab.set_link(node, up=True, dev="eth1")

    def ping() -> None:
        proc.run(cluster.lab.exec_argv("client", [
            "ping", "-c", "1", "-W", "1", vip]), timeout=5)

    holder = cluster.holders(vip, tree.CONTROLLERS)
    timeline = result.timeline("pings to the VIP")
    with results.Load(ping, timeline, interval=0.2,
                      errors=(AssertionError,), limit=180) as load:
        time.sleep(2)
        started = timeline.event("new node starts")
        cluster.boot(node)
        proc.wait_for(lambda: cluster.online(node), timeout=FORMATION_TIMEOUT,
                      interval=1, what=f"{node} online in the cluster")
        joined = timeline.event("node online")
        proc.wait_for(lambda: node in cluster.locate(
            node, "lb-haproxy-clone"), timeout=60, interval=0.5,
            what=f"HAProxy clone started on {node}")
        time.sleep(2)
    check = cluster.lab.run_in(node, ["bash", "-c", runbook.script(
        "operations/replacing-a-controller.rst", "pacemaker-check")],
        timeout=60).stdout
    assert "partition with quorum" in check, check
    result.measure("new node online after start", joined - started, "s",
                   bound=("<=", FORMATION_TIMEOUT))
    result.measure("failed pings to the VIP", load.failed_since(started),
                   "pings", bound=("==", 0))
    result.measure("longest time without an answer from the VIP",
                   load.longest_gap(started), "s")
    result.measure("VIP moved to another node",
                   int(cluster.holders(vip, tree.CONTROLLERS) != holder),
                   "times", bound=("==", 0))
    result.measure("HAProxy clone instances running",
                   len(cluster.locate(node, "lb-haproxy-clone")), "of 3",
                   bound=("==", 3))
