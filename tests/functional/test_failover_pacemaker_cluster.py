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

import re
import signal
import time
from pathlib import Path

import pytest

from harness import haproxy, netns, proc, requirements, tree

pytestmark = pytest.mark.functional

COROSYNC_CONF = "controller/etc/corosync/corosync.conf"
HOSTS = "controller/etc/hosts"
VIP_HAPROXY = "pacemaker/vip-haproxy.pcs"
# No systemd in the lab: HAProxy runs through Debian's LSB init script,
# the only change to the tree's commands.
AGENT_REWRITE = {"systemd:haproxy": "lsb:haproxy"}
# Per node: private /run, /dev/shm and state directories (as the daemons
# expect them), the tree's /etc/hosts, and /etc/haproxy holding the
# node's haproxy.cfg and a throwaway certificate. /etc/default/haproxy
# passes -n (see harness.haproxy.TEST_MAXCONN) to the init script.
NODE_SETUP = """\
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/lock
mount -t tmpfs tmpfs /dev/shm
for d in /var/lib/pacemaker /var/lib/corosync /var/log/pacemaker \
         /var/log/corosync /etc/corosync; do
    mkdir -p {nodedir}$d
    mount --bind {nodedir}$d $d
done
mkdir -p /var/lib/pacemaker/cib /var/lib/pacemaker/pengine \
         /var/lib/pacemaker/blackbox /var/lib/pacemaker/cores
chown -R hacluster:haclient /var/lib/pacemaker /var/log/pacemaker
chmod 750 /var/lib/pacemaker/cib
mount --bind {workdir}/hosts /etc/hosts
mount -t tmpfs -o mode=755 tmpfs /etc/haproxy
mkdir /etc/haproxy/certs
install -m 0600 {workdir}/public.pem /etc/haproxy/certs/
install -m 0644 {nodedir}/haproxy.cfg /etc/haproxy/haproxy.cfg
mount --bind {workdir}/default-haproxy /etc/default/haproxy
sysctl -q -w net.ipv4.ip_nonlocal_bind=1
"""
FORMATION_TIMEOUT = 90
LOCATED = re.compile(r"is running on: (\S+)")


class PacemakerLab:
    """Three controllers running corosync and pacemakerd from the tree."""

    def __init__(self, workdir: Path, daemons: proc.Daemons):
        self.workdir = workdir
        self.daemons = daemons
        self.lab = netns.Lab("pc", daemons)

    def prepare(self) -> None:
        nodes = {n: {"eth0": tree.address(n),
                     "eth1": tree.cluster()["hosts"][n]["public_address"]}
                 for n in tree.CONTROLLERS}
        nodes["client"] = {"eth0": netns.CLIENT_ADDRESS}
        self.lab.setup(nodes)
        (self.workdir / "hosts").write_text(tree.example(HOSTS))
        (self.workdir / "default-haproxy").write_text(
            f'EXTRAOPTS="-n {haproxy.TEST_MAXCONN}"\n')
        haproxy.public_certificate(self.workdir)
        authkey = self.workdir / "authkey"
        proc.run(["corosync-keygen", "-l", "-k", str(authkey)])
        for node in tree.CONTROLLERS:
            etc = self.workdir / node / "etc" / "corosync"
            etc.mkdir(parents=True)
            (etc / "corosync.conf").write_text(
                tree.node_file(COROSYNC_CONF, node))
            (etc / "authkey").write_bytes(authkey.read_bytes())
            (etc / "authkey").chmod(0o400)
            (self.workdir / node / "haproxy.cfg").write_text(
                tree.node_file(haproxy.HAPROXY_CFG, node))

    def boot(self, node: str) -> None:
        self.lab.boot(node, node, NODE_SETUP.format(
            workdir=self.workdir, nodedir=self.workdir / node))
        self.lab.start_in(node, f"{node}-corosync", ["corosync", "-f"])
        proc.wait_for(lambda: self.lab.run_in(
            node, ["corosync-cfgtool", "-s"], check=False).returncode == 0,
            timeout=15, interval=0.2, what=f"corosync on {node}")
        self.lab.start_in(node, f"{node}-pacemakerd", ["pacemakerd"])

    def crm_mon(self, node: str) -> str:
        done = self.lab.run_in(node, ["crm_mon", "-1"], check=False,
                               timeout=30)
        return done.stdout if done.returncode == 0 else ""

    def online(self, node: str) -> bool:
        status = self.crm_mon(node)
        return ("partition with quorum" in status and
                f"Online: [ {' '.join(tree.CONTROLLERS)} ]" in status)

    def pcs(self, node: str, *words: str) -> None:
        self.lab.run_in(node, ["pcs", *words], timeout=60)

    def locate(self, node: str, resource: str) -> list[str]:
        done = self.lab.run_in(node, ["crm_resource", "--locate", "-r",
                                      resource], check=False, timeout=30)
        return sorted(LOCATED.findall(done.stdout))

    def holders(self, address: str, nodes) -> list[str]:
        return [n for n in nodes if address in self.lab.addresses(n)]


@pytest.fixture(scope="module")
def cluster(workdir, daemons):
    requirements.require(binaries=(
        "corosync", "pacemakerd", "pcs", "crm_mon", "crm_resource",
        "corosync-keygen", "haproxy", "openssl", "ip", "unshare",
        "nsenter"))
    lab = PacemakerLab(workdir, daemons)
    try:
        lab.prepare()
        started = time.monotonic()
        for node in tree.CONTROLLERS:
            lab.boot(node)
        proc.wait_for(lambda: lab.online("controller1"),
                      timeout=FORMATION_TIMEOUT, interval=1,
                      what="three nodes online with quorum")
        lab.formed = time.monotonic() - started
        yield lab
    finally:
        daemons.stop_all()
        lab.lab.close()


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
    killed = time.monotonic()
    cluster.lab.set_link(owner, up=False)
    cluster.lab.set_link(owner, up=False, dev="eth1")
    daemons.kill(f"{owner}-init", signal.SIGKILL)
    proc.wait_for(lambda: len(cluster.holders(vip, survivors)) == 1,
                  timeout=60, interval=0.2,
                  what="VIP on a surviving controller")
    moved = time.monotonic() - killed
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
