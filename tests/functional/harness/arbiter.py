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
"""Tie-breakers in a third site: garbd, and corosync-qnetd with qdevice.

The stretch variant (doc/examples/variants/stretch) keeps the data on
controller1 and controller2 and puts the votes that break a tie on
controller3. Garbd(lab, workdir) boots controller3 with the variant's
/etc/default/garb and runs Debian's garb-systemd wrapper on it, as
garb.service would. QuorumLab(workdir, daemons) runs Corosync on the
two data nodes from the variant's corosync.conf, corosync-qdevice next
to it, and corosync-qnetd on controller3, with TLS: the packages'
certutil scripts make the certificates inside each node's view of the
lab root, whose files live in the test's scratch directory.
"""

from __future__ import annotations

import re
import shlex
import signal
import time
from pathlib import Path

from harness import labroot, netns, proc, tree

GARB = "variants/stretch/etc/default/garb"
COROSYNC_CONF = "variants/stretch/etc/corosync/corosync.conf"
ARBITER = "controller3"
DATA_NODES = ("controller1", "controller2")
GARBD_BINARIES = ("garbd", "garb-systemd")
QUORUM_BINARIES = ("corosync", "corosync-keygen", "corosync-quorumtool",
                   "corosync-qdevice", "corosync-qdevice-net-certutil",
                   "corosync-qnetd", "corosync-qnetd-certutil", "certutil",
                   "pk12util")
# Private run-time directories, shared memory (libqb's IPC) and the
# Corosync directories of one node, the last ones kept in the scratch
# directory so that the test reads and copies the certificates there.
NODE_SETUP = """\
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/lock /run/corosync-qdevice /run/corosync-qnetd
mount -t tmpfs tmpfs /dev/shm
for d in /etc/corosync /var/lib/corosync /var/log/corosync; do
    mkdir -p {nodedir}$d
    mount --bind {nodedir}$d $d
done
"""
QUORATE = re.compile(r"^Quorate:\s+(Yes|No)\s*$", re.MULTILINE)
# corosync-qnetd-tool -l -v, per client whose certificate qnetd checked.
VERIFIED = re.compile(r"TLS active:\s+Yes \(client certificate verified\)")
FORMATION_TIMEOUT = 60.0


class Garbd:
    """garbd on ARBITER from the tree's /etc/default/garb."""

    def __init__(self, lab: netns.Lab, workdir: Path):
        self.lab = lab
        self.file = workdir / "garb"

    def start(self) -> None:
        """Boot the arbitrator node (once) and start garb-systemd."""
        if ARBITER not in self.lab.views:
            self.file.write_text(tree.example(GARB))
            self.lab.boot(ARBITER, ARBITER, "mount --bind "
                          f"{shlex.quote(str(self.file))} /etc/default/garb")
        self.lab.start_in(ARBITER, "garbd", ["garb-systemd", "start"])

    def stop(self) -> None:
        """Leave the cluster as garb.service does (KillSignal=SIGINT).

        garb-systemd runs garbd as its child: both get the signal, garbd
        first, so that it says goodbye before the wrapper goes.
        """
        self.lab.kill("garbd", signal.SIGINT, with_children=True)


class QuorumLab:
    """Corosync and corosync-qdevice on DATA_NODES, qnetd on ARBITER."""

    def __init__(self, workdir: Path, daemons: proc.Daemons):
        self.workdir = workdir
        self.daemons = daemons
        self.lab = netns.Lab("qd", daemons)

    def etc(self, node: str) -> Path:
        """node's /etc/corosync, as the host sees it."""
        return self.workdir / node / "etc" / "corosync"

    def prepare(self) -> None:
        """Create the nodes, boot them, write corosync.conf and authkey."""
        self.lab.setup({n: {"eth0": tree.address(n)}
                        for n in (*DATA_NODES, ARBITER)})
        authkey = self.workdir / "authkey"
        labroot.run_once(self.workdir, [
            "corosync-keygen", "-l", "-k", str(authkey)])
        for node in (*DATA_NODES, ARBITER):
            self.etc(node).mkdir(parents=True)
            self.lab.boot(node, node, NODE_SETUP.format(
                nodedir=shlex.quote(str(self.workdir / node))))
        for node in DATA_NODES:
            (self.etc(node) / "corosync.conf").write_text(
                tree.node_file(COROSYNC_CONF, node))
            (self.etc(node) / "authkey").write_bytes(authkey.read_bytes())
            (self.etc(node) / "authkey").chmod(0o400)

    def run(self, node: str, *argv: str) -> str:
        return self.lab.run_in(node, list(argv), timeout=60).stdout

    def certificates(self) -> None:
        """The TLS set-up of corosync-qdevice(8), one node after another.

        qnetd's CA signs the cluster's certificate request from the first
        node; the first node exports the certificate and key as PKCS#12,
        which the second imports. Files move through the scratch
        directory, which every node's view has at the same path.
        """
        cluster = self.cluster_name()
        qnetd_db = self.etc(ARBITER) / "qnetd" / "nssdb"
        node_db = "qdevice/net/nssdb"
        first, second = DATA_NODES
        self.run(ARBITER, "corosync-qnetd-certutil", "-i")
        ca = qnetd_db / "qnetd-cacert.crt"
        for node in DATA_NODES:
            self.run(node, "corosync-qdevice-net-certutil", "-i", "-c",
                     str(ca))
        self.run(first, "corosync-qdevice-net-certutil", "-r", "-n", cluster)
        request = self.etc(first) / node_db / "qdevice-net-node.crq"
        self.run(ARBITER, "corosync-qnetd-certutil", "-s", "-c",
                 str(request), "-n", cluster)
        signed = qnetd_db / f"cluster-{cluster}.crt"
        self.run(first, "corosync-qdevice-net-certutil", "-M", "-c",
                 str(signed))
        self.run(second, "corosync-qdevice-net-certutil", "-m", "-c",
                 str(self.etc(first) / node_db / "qdevice-net-node.p12"))

    def cluster_name(self) -> str:
        found = re.search(r"^\s*cluster_name:\s*(\S+)", tree.example(
            COROSYNC_CONF), re.MULTILINE)
        assert found, f"{COROSYNC_CONF} has no cluster_name"
        return found.group(1)

    def start(self) -> float:
        """qnetd, then corosync and qdevice on each node; seconds until
        both nodes are quorate with the device's vote."""
        started = time.monotonic()
        self.lab.start_in(ARBITER, "qnetd", ["corosync-qnetd", "-f"])
        proc.wait_for(lambda: self.lab.run_in(
            ARBITER, ["corosync-qnetd-tool", "-s"], check=False,
            timeout=10).returncode == 0, timeout=20, interval=0.2,
            what="corosync-qnetd to answer")
        for node in DATA_NODES:
            self.lab.start_in(node, f"{node}-corosync", ["corosync", "-f"])
            proc.wait_for(lambda n=node: self.lab.run_in(
                n, ["corosync-cfgtool", "-s"], check=False,
                timeout=10).returncode == 0, timeout=20, interval=0.2,
                what=f"corosync on {node}")
            self.lab.start_in(node, f"{node}-qdevice",
                              ["corosync-qdevice", "-f"])
        proc.wait_for(lambda: all(self.votes(n) == (True, 3)
                                  for n in DATA_NODES),
                      timeout=FORMATION_TIMEOUT, interval=0.5,
                      what="both nodes quorate with the device's vote")
        return time.monotonic() - started

    def verified_clients(self) -> int:
        """Clients connected to qnetd over TLS with a checked certificate."""
        return len(VERIFIED.findall(self.run(
            ARBITER, "corosync-qnetd-tool", "-l", "-v")))

    def status(self, node: str) -> str:
        done = self.lab.run_in(node, ["corosync-quorumtool", "-s"],
                               check=False, timeout=10)
        # Exit status 2 means "not quorate"; the text says the same.
        return done.stdout

    def votes(self, node: str) -> tuple[bool | None, int | None]:
        """(quorate, total votes) as corosync-quorumtool shows them."""
        text = self.status(node)
        quorate = QUORATE.search(text)
        total = re.search(r"^Total votes:\s+(\d+)", text, re.MULTILINE)
        return ((quorate.group(1) == "Yes") if quorate else None,
                int(total.group(1)) if total else None)

    def close(self) -> None:
        self.daemons.stop_all()
        self.lab.close()
