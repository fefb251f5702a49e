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
"""Corosync and Pacemaker on three controllers in network namespaces.

PacemakerLab(workdir, daemons): prepare() creates the controllers and a
client and writes each node's corosync.conf, authkey and haproxy.cfg;
start_cluster() boots corosync and pacemakerd on every node and waits
until all three are online with quorum. pcs/crm_mon/locate run the
cluster's tools inside a node. close() stops and deletes all.
PacemakerLab(..., members={name: address}) adds full cluster members
beyond the controllers (the Instance HA scenario's compute nodes).
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from harness import haproxy, labroot, netns, proc, tree

# Binaries PacemakerLab needs (for requirements.require): the cluster
# from the lab root, the namespaces and a throwaway certificate from the
# host.
BINARIES = ("corosync", "pacemakerd", "pcs", "crm_mon", "crm_resource",
            "corosync-keygen", "haproxy")
HOST_BINARIES = ("openssl", "ip", "unshare", "nsenter")

COROSYNC_CONF = "controller/etc/corosync/corosync.conf"
HOSTS = "controller/etc/hosts"
# Per node, inside its own view of the lab root: private /run, /dev/shm
# and state directories (as the daemons expect them), the tree's
# /etc/hosts, and in /etc/haproxy the node's haproxy.cfg and a throwaway
# certificate. /etc/default/haproxy
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
"""
# The controllers also run HAProxy (vip-haproxy.pcs).
HAPROXY_SETUP = """\
mkdir -p /etc/haproxy/certs
install -m 0600 {workdir}/public.pem /etc/haproxy/certs/
install -m 0644 {nodedir}/haproxy.cfg /etc/haproxy/haproxy.cfg
mount --bind {workdir}/default-haproxy /etc/default/haproxy
sysctl -q -w net.ipv4.ip_nonlocal_bind=1
"""
FORMATION_TIMEOUT = 90
LOCATED = re.compile(r"is running on: (\S+)")


def with_members(corosync_conf: str, members: dict[str, str]) -> str:
    """corosync_conf with a nodelist entry for each extra member.

    The entries go at the end of the nodelist block, numbered after the
    highest nodeid already there.
    """
    start = corosync_conf.index("nodelist {")
    depth, end = 0, start
    for end in range(start, len(corosync_conf)):
        if corosync_conf[end] == "{":
            depth += 1
        elif corosync_conf[end] == "}":
            depth -= 1
            if depth == 0:
                break
    nodeid = max(int(n) for n in re.findall(
        r"nodeid:\s*(\d+)", corosync_conf[start:end]))
    entries = "".join(
        f"    node {{\n        name: {name}\n        nodeid: {nodeid + i}"
        f"\n        ring0_addr: {address}\n    }}\n"
        for i, (name, address) in enumerate(members.items(), 1))
    return corosync_conf[:end] + entries + corosync_conf[end:]


class NoReply(Exception):
    """The address did not answer a ping from the client namespace."""


# What a ping probe (PacemakerLab.ping) counts as a failure.
PING_ERRORS = (NoReply, subprocess.TimeoutExpired)


class PacemakerLab:
    """Three controllers running corosync and pacemakerd from the tree."""

    def __init__(self, workdir: Path, daemons: proc.Daemons,
                 members: dict[str, str] | None = None):
        self.workdir = workdir
        self.daemons = daemons
        self.lab = netns.Lab("pc", daemons)
        self.extra = dict(members or {})
        self.members = (*tree.CONTROLLERS, *self.extra)
        # Shell lines a test adds to a node's boot (files it installs).
        self.setup: dict[str, str] = {}

    def prepare(self) -> None:
        nodes = {n: {"eth0": tree.address(n),
                     "eth1": tree.cluster()["hosts"][n]["public_address"]}
                 for n in tree.CONTROLLERS}
        nodes.update({n: {"eth0": a} for n, a in self.extra.items()})
        nodes["client"] = {"eth0": netns.CLIENT_ADDRESS}
        self.lab.setup(nodes)
        (self.workdir / "hosts").write_text(tree.example(HOSTS))
        (self.workdir / "default-haproxy").write_text(
            f'EXTRAOPTS="-n {haproxy.TEST_MAXCONN}"\n')
        haproxy.public_certificate(self.workdir)
        authkey = self.workdir / "authkey"
        labroot.run_once(self.workdir, [
            "corosync-keygen", "-l", "-k", str(authkey)])
        for node in self.members:
            etc = self.workdir / node / "etc" / "corosync"
            etc.mkdir(parents=True)
            text = tree.node_file(
                COROSYNC_CONF,
                node if node in tree.CONTROLLERS else tree.CONTROLLERS[0])
            if self.extra:
                text = with_members(text, self.extra)
            (etc / "corosync.conf").write_text(text)
            (etc / "authkey").write_bytes(authkey.read_bytes())
            (etc / "authkey").chmod(0o400)
        for node in tree.CONTROLLERS:
            (self.workdir / node / "haproxy.cfg").write_text(
                tree.node_file(haproxy.HAPROXY_CFG, node))

    def boot(self, node: str) -> None:
        setup = NODE_SETUP
        if node in tree.CONTROLLERS:
            setup += HAPROXY_SETUP
        setup += self.setup.get(node, "")
        self.lab.boot(node, node, setup.format(
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
                f"Online: [ {' '.join(sorted(self.members))} ]" in status)

    def pcs(self, node: str, *words: str) -> None:
        self.lab.run_in(node, ["pcs", *words], timeout=60)

    def locate(self, node: str, resource: str) -> list[str]:
        done = self.lab.run_in(node, ["crm_resource", "--locate", "-r",
                                      resource], check=False, timeout=30)
        return sorted(LOCATED.findall(done.stdout))

    def start_cluster(self) -> float:
        """Boot every member; seconds until all are online, quorate."""
        started = time.monotonic()
        for node in self.members:
            self.boot(node)
        proc.wait_for(lambda: self.online("controller1"),
                      timeout=FORMATION_TIMEOUT, interval=1,
                      what=f"{len(self.members)} nodes online with quorum")
        return time.monotonic() - started

    def close(self) -> None:
        """Stop every daemon of the module, then delete the namespaces."""
        self.daemons.stop_all()
        self.lab.close()

    def ping(self, address: str) -> None:
        """One ping from the client, as a user of the VIP; NoReply if none.

        The probe of results.Load in the scenarios that move the VIP.
        """
        done = proc.run(self.lab.exec_argv("client", [
            "ping", "-c", "1", "-W", "1", address]), check=False, timeout=5)
        if done.returncode != 0:
            raise NoReply(address)

    def holders(self, address: str, nodes) -> list[str]:
        return [n for n in nodes if address in self.lab.addresses(n)]
